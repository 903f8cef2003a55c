console.log('loaded at init');
export const handler = async () => {
  console.log('two\nlines');
  console.info('info %d', 42);
  console.warn('careful');
  console.error('bad', { a: 1 });
  console.debug('debug is kept in text format');
  return 'logged';
};
