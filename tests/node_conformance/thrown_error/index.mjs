export const handler = async () => {
  const error = new TypeError('bad input');
  error.code = 'E_BAD';
  throw error;
};
