exports.handler = (event, context, callback) => callback('boom');
