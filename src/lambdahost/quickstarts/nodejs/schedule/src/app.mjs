// A job that runs on a schedule: EventBridge Scheduler hands it its Input; an EventBridge rule
// ("Schedule") hands it a "Scheduled Event".
export const handler = async (event, context) => {
  const job = event.job ?? event['detail-type'];
  console.log(`running ${job} with ${context.getRemainingTimeInMillis()} ms to go`);
  return { ran: job };
};
