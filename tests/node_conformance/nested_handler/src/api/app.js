exports.handlers = { orders: { list: async (event) => ({ path: 'src/api/app', event }) } };
