// The console's code editor: CodeMirror 6 with what a learner expects of an editor (line
// numbers, auto-indent, undo, search, bracket matching, Python / JavaScript / JSON), Ctrl+S
// (Cmd+S) to deploy, and problems marked at their line. Built into console_static/editor.js.

import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import { json, jsonParseLinter } from '@codemirror/lang-json';
import { python } from '@codemirror/lang-python';
import { bracketMatching, HighlightStyle, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { tags } from '@lezer/highlight';
import { linter, lintGutter, setDiagnostics } from '@codemirror/lint';
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search';
import { Compartment, EditorState } from '@codemirror/state';
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from '@codemirror/view';

// The colours are the page's (app.css's --syntax-* variables), so that the light and the dark
// scheme each have theirs, with the contrast they need.
const HIGHLIGHT = HighlightStyle.define([
  { tag: [tags.keyword, tags.controlKeyword, tags.operatorKeyword, tags.definitionKeyword, tags.moduleKeyword], color: 'var(--syntax-keyword)' },
  { tag: [tags.string, tags.special(tags.string), tags.regexp], color: 'var(--syntax-string)' },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: 'var(--syntax-number)' },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: 'var(--syntax-comment)', fontStyle: 'italic' },
  { tag: [tags.function(tags.definition(tags.variableName)), tags.definition(tags.className)], color: 'var(--syntax-definition)' },
  { tag: [tags.propertyName, tags.attributeName], color: 'var(--syntax-property)' },
  { tag: tags.invalid, color: 'var(--syntax-invalid)' },
]);

const LANGUAGES = {
  py: () => python(),
  js: () => javascript(),
  mjs: () => javascript(),
  cjs: () => javascript(),
  ts: () => javascript({ typescript: true }),
  json: () => [json(), linter(jsonParseLinter())],
};

/** The language of a file, by its extension. */
function languageOf(file) {
  const make = LANGUAGES[(file || '').split('.').pop()];
  return make ? make() : [];
}

/** An editor in ``parent``: ``doc``, the text; ``file``, whose extension picks the language;
 * ``onChange(text)`` after each edit; ``onSave()`` on Ctrl+S / Cmd+S; ``label`` for assistive
 * technologies. Returns what the console needs of it. */
export function create(parent, { doc = '', file = '', onChange = () => {}, onSave = () => {}, label = 'Code editor' }) {
  const language = new Compartment();
  const editable = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        indentUnit.of('    '), // four spaces, as the Lambda console's editor indents
        highlightActiveLineGutter(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        search({ top: true }),
        lintGutter(),
        syntaxHighlighting(HIGHLIGHT),
        keymap.of([
          { key: 'Mod-s', preventDefault: true, run: () => (onSave(), true) },
          indentWithTab,
          ...defaultKeymap,
          ...historyKeymap,
          ...searchKeymap,
        ]),
        language.of(languageOf(file)),
        editable.of(EditorView.editable.of(true)),
        EditorView.contentAttributes.of({ 'aria-label': label }),
        EditorView.updateListener.of((update) => update.docChanged && onChange(update.state.doc.toString())),
      ],
    }),
  });
  return {
    view,
    text: () => view.state.doc.toString(),
    /** Show another file: its text, its language, whether it can be edited. */
    open(text, name, canEdit = true) {
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        effects: [language.reconfigure(languageOf(name)), editable.reconfigure(EditorView.editable.of(canEdit))],
      });
    },
    /** Mark problems: [{line, message}] (lines from 1), or none. */
    problems(list) {
      const diagnostics = list.map(({ line, message }) => {
        const at = view.state.doc.line(Math.min(Math.max(line, 1), view.state.doc.lines));
        return { from: at.from, to: at.to, severity: 'error', message };
      });
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
    focus: () => view.focus(),
  };
}
