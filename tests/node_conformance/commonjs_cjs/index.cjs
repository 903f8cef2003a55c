module.exports.handler = async () => ({ commonjs: typeof require === 'function' });
