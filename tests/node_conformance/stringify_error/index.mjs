export const handler = async () => { const loop = {}; loop.self = loop; return loop; };
