let invocations = 0;
export const handler = async () => {
  invocations += 1;
  Promise.reject(new Error('nobody caught me'));
  await new Promise((resolve) => setTimeout(resolve, 100));
  return invocations;
};
