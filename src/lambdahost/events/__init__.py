"""Events: the sample catalogue behind ``generate-event``, and the triggers that deliver events.

Nothing is imported here: a template load needs the schedule grammar, not the samples."""
