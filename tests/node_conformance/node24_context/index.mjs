export const handler = async (event, context) => ({
  callbacks: [typeof context.succeed, typeof context.done, typeof context.callbackWaitsForEmptyEventLoop],
  trace: typeof context.xRayTraceId,
  env: process.env.AWS_EXECUTION_ENV,
});
