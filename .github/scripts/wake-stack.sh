#!/usr/bin/env bash
# Wakes STACK before a deploy when its sleep schedule (octabyte:sleepSchedule)
# has put it to sleep: RDS refuses to modify a stopped instance, and tasks
# that cannot reach their database never pass the health check. Starts the
# database and waits until it is available, then scales the service back to
# the stack's awakeDesiredCount; the deploy's verification then waits for
# the tasks. A stack without a sleep schedule is left alone. The stack
# sleeps again at the schedule's next evening.
# Env: STACK [WAKE_DEADLINE_SECONDS WAKE_POLL_SECONDS].
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
FAIL_TITLE="Wake $STACK"

if ! group="$(pulumi stack output sleepScheduleGroup --stack "$STACK" 2>/dev/null)" || [[ -z $group ]]; then
  echo "$STACK has no sleep schedule: nothing to wake."
  exit 0
fi
deadline=$((SECONDS + ${WAKE_DEADLINE_SECONDS:-1800}))
poll=${WAKE_POLL_SECONDS:-20}
db="$(pulumi stack output dbInstanceId --stack "$STACK")"

# An RDS start takes several minutes; a stop in progress must finish first
# (start-db-instance refuses a stopping instance).
while :; do
  status="$(aws rds describe-db-instances --db-instance-identifier "$db" --query 'DBInstances[0].DBInstanceStatus' --output text)"
  case $status in
  available) break ;;
  stopped)
    echo "Starting database $db (stopped by the sleep schedule)."
    aws rds start-db-instance --db-instance-identifier "$db" >/dev/null
    ;;
  esac
  if ((SECONDS >= deadline)); then fail "database $db is still $status after ${WAKE_DEADLINE_SECONDS:-1800}s"; fi
  sleep "$poll"
done

tasks="$(pulumi stack output awakeDesiredCount --stack "$STACK")"
if ((tasks > 0)); then
  cluster="$(pulumi stack output clusterName --stack "$STACK")"
  service="$(pulumi stack output serviceName --stack "$STACK")"
  desired="$(aws ecs describe-services --cluster "$cluster" --services "$service" --query 'services[0].desiredCount' --output text)"
  if ((desired < tasks)); then
    echo "Scaling $service from $desired to $tasks tasks."
    aws ecs update-service --cluster "$cluster" --service "$service" --desired-count "$tasks" >/dev/null
  fi
fi
echo "$STACK is awake."
