exports.handler = async (event) => {
  return { ok: true 
};
