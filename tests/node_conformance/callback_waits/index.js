exports.handler = (event, context, callback) => {
  setTimeout(() => console.log('timer fired'), 50);
  callback(null, { waited: context.callbackWaitsForEmptyEventLoop });
};
