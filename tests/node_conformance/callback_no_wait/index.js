exports.handler = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => console.log('timer fired'), 1500);
  callback(null, 'early');
};
