exports.handler = (event, context, callback) => { console.log('forgot to call back'); };
