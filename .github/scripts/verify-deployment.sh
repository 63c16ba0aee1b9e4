#!/usr/bin/env bash
# Proves that STACK runs what this run built, after `pulumi up`. The
# provider reports success when ECS reached a steady state by rolling back
# (hashicorp/terraform-provider-aws#19519), so pulumi's exit code proves
# nothing. Polls, until VERIFY_DEADLINE_SECONDS, for:
#   1. the service's PRIMARY deployment has rolloutState COMPLETED and is the
#      only deployment (no old tasks left: not mixed);
#   2. its task definition's app container names REPOSITORY@DIGEST (a
#      circuit-breaker rollback makes the previous revision PRIMARY again);
#   3. every RUNNING task runs that task definition, and the target group's
#      healthy targets are exactly those tasks' IPs (the ALB routes to
#      nothing else);
#   4. GET / through the ALB reports COMMIT on 4 answers per task in a row.
# A rollback, a FAILED rollout, a stuck or mixed deployment fails the step
# with the reason. Env: STACK DIGEST COMMIT [VERIFY_DEADLINE_SECONDS VERIFY_POLL_SECONDS].
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
FAIL_TITLE="Deploy verification"

deadline=$((SECONDS + ${VERIFY_DEADLINE_SECONDS:-900}))
poll=${VERIFY_POLL_SECONDS:-10}
cluster="$(pulumi stack output clusterName --stack "$STACK")"
service="$(pulumi stack output serviceName --stack "$STACK")"
want="$(pulumi stack output ecrRepositoryUrl --stack "$STACK")@$DIGEST"
base="$(pulumi stack output albUrl --stack "$STACK")"
base="${base%/}"

wait_or_fail() {
  if ((SECONDS >= deadline)); then fail "$STACK: $1 after ${VERIFY_DEADLINE_SECONDS:-900}s"; fi
  sleep "$poll"
}

# 1 and 2: the rollout.
while :; do
  svc="$(aws ecs describe-services --cluster "$cluster" --services "$service" --output json)"
  primary="$(jq -c '[.services[0].deployments[]? | select(.status == "PRIMARY")][0] // empty' <<<"$svc")"
  [[ -n $primary ]] || fail "$STACK: service $service has no PRIMARY deployment"
  taskdef="$(jq -r '.taskDefinition' <<<"$primary")"
  image="$(aws ecs describe-task-definition --task-definition "$taskdef" --output json |
    jq -r '.taskDefinition.containerDefinitions[] | select(.name == "app") | .image')"
  state="$(jq -r '.rolloutState' <<<"$primary")"
  deployments="$(jq '.services[0].deployments | length' <<<"$svc")"
  # After a rollback the failed deployment is gone (pulumi up returned only
  # once one deployment was left): what remains is the old image.
  if [[ $image != "$want" ]]; then
    fail "$STACK: ECS rolled back: the service runs $image, not $want (the new tasks failed to start or their health checks)"
  fi
  case "$state" in
    FAILED) fail "$STACK: the rollout of $want FAILED: $(jq -r '.rolloutStateReason // "no reason given"' <<<"$primary")" ;;
    COMPLETED) if ((deployments == 1)); then break; fi ;;
  esac
  echo "rollout $state, $deployments deployment(s); waiting"
  wait_or_fail "the rollout of $want is stuck ($state, $deployments deployments: old and new tasks mixed)"
done
echo "ECS: the only deployment is COMPLETED and runs $want ($taskdef)"

# 3: the tasks and what the load balancer routes to.
target_group="$(jq -r '.services[0].loadBalancers[0].targetGroupArn' <<<"$svc")"
desired="$(jq -r '.services[0].desiredCount' <<<"$svc")"
while :; do
  arns="$(aws ecs list-tasks --cluster "$cluster" --service-name "$service" --desired-status RUNNING --output json | jq -r '.taskArns[]')"
  if [[ -z $arns ]]; then
    wait_or_fail "no RUNNING task"
    continue
  fi
  # shellcheck disable=SC2086 # one argument per task ARN
  tasks="$(aws ecs describe-tasks --cluster "$cluster" --tasks $arns --output json)"
  others="$(jq -r --arg td "$taskdef" '[.tasks[] | select(.taskDefinitionArn != $td) | .taskArn] | join(" ")' <<<"$tasks")"
  [[ -z $others ]] || fail "$STACK: tasks of another task definition are running (mixed): $others"
  ips="$(jq -r '[.tasks[].attachments[]?.details[]? | select(.name == "privateIPv4Address") | .value] | sort | join(" ")' <<<"$tasks")"
  healthy="$(aws elbv2 describe-target-health --target-group-arn "$target_group" --output json |
    jq -r '[.TargetHealthDescriptions[] | select(.TargetHealth.State == "healthy") | .Target.Id] | sort | join(" ")')"
  count="$(wc -w <<<"$ips")"
  if [[ $healthy == "$ips" ]] && ((count >= desired)); then break; fi
  echo "healthy targets [$healthy], tasks [$ips], desired $desired; waiting"
  wait_or_fail "the load balancer's healthy targets [$healthy] are not the $desired new task(s) [$ips]"
done
echo "ALB: the healthy targets are exactly the $count new task(s): $ips"

# 4: what the tasks say they are.
need=$((4 * count)) streak=0
while ((streak < need)); do
  got="$(curl --fail --silent --show-error --max-time 10 "$base/" | jq -r '.commit // empty' || true)"
  if [[ $got == "$COMMIT" ]]; then
    streak=$((streak + 1))
  else
    streak=0
    echo "GET / reports commit '${got:-no answer}', not $COMMIT; waiting"
    wait_or_fail "GET / still reports commit '${got:-no answer}', not $COMMIT"
  fi
done
echo "GET / reported $COMMIT $need times in a row"
