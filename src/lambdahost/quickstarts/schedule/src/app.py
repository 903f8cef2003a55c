"""A job that runs on a schedule: EventBridge Scheduler hands it its Input; an EventBridge rule
("Schedule") hands it a "Scheduled Event"."""


def handler(event, context):
    job = event.get("job") or event.get("detail-type")
    print(f"running {job} with {context.get_remaining_time_in_millis()} ms to go")
    return {"ran": job}
