export const handler = (event, context, callback) => callback(null, 1);
