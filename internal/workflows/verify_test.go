package workflows

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// verify-deployment.sh on its own, against a staging service caught in the
// states a rollout passes through or gets stuck in (old tasks draining, a
// new target still in its first checks, a task ECS replaces, an image that
// reports another commit). The deploy scenarios only reach the settled
// states pulumi up leaves behind; these are the ones the script polls for.
func TestVerifyDeploymentWaitsForARolloutAndFailsOneThatIsNotDone(t *testing.T) {
	const (
		commit = "1111111111111111111111111111111111111111"
		oldTD  = "arn:aws:ecs:ap-south-1:123456789012:task-definition/octabyte-staging-app:1"
		newTD  = "arn:aws:ecs:ap-south-1:123456789012:task-definition/octabyte-staging-app:2"
	)
	digest := digestFor(commit)
	want := account + "/octabyte-staging/app@" + digest
	newTask := func(i int) task {
		return task{Arn: fmt.Sprintf("task/new-%d", i), TaskDefinition: newTD, IP: fmt.Sprintf("10.0.2.%d", 10+i), Commit: commit}
	}
	oldTask := task{Arn: "task/old-0", TaskDefinition: oldTD, IP: "10.0.1.10", Commit: "0000000000000000000000000000000000000000"}
	primary := deployment{Status: "PRIMARY", RolloutState: "COMPLETED", TaskDefinition: newTD}
	draining := deployment{Status: "ACTIVE", RolloutState: "COMPLETED", TaskDefinition: oldTD}

	for _, c := range []struct {
		name string
		svc  service
		fail string // "" when the verification must pass
	}{
		{"settled", service{Deployments: []deployment{primary}, Tasks: []task{newTask(0), newTask(1)}}, ""},
		{"in progress: old tasks drain, a new target passes its first checks", service{
			Deployments: []deployment{{Status: "PRIMARY", RolloutState: "IN_PROGRESS", TaskDefinition: newTD}, draining}, DrainPolls: 3,
			Tasks: []task{newTask(0), func() task { n := newTask(1); n.InitialPolls = 3; return n }()},
		}, ""},
		{"in progress for good", service{
			Deployments: []deployment{{Status: "PRIMARY", RolloutState: "IN_PROGRESS", TaskDefinition: newTD}, draining},
			Tasks:       []task{newTask(0), newTask(1), oldTask},
		}, "is stuck (IN_PROGRESS, 2 deployments"},
		{"completed, but the old deployment never drains", service{
			Deployments: []deployment{primary, draining}, Tasks: []task{newTask(0), newTask(1), oldTask},
		}, "is stuck (COMPLETED, 2 deployments"},
		{"a task of the old task definition still runs", service{
			Deployments: []deployment{primary}, Tasks: []task{newTask(0), oldTask},
		}, "tasks of another task definition are running (mixed): task/old-0"},
		{"a new target never turns healthy", service{
			Deployments: []deployment{primary}, Tasks: []task{newTask(0), func() task { n := newTask(1); n.Unhealthy = true; return n }()},
		}, "healthy targets [10.0.2.10] are not the 2 new task(s)"},
		{"fewer tasks than desired", service{
			Deployments: []deployment{primary}, Tasks: []task{newTask(0)},
		}, "are not the 2 new task(s)"},
		{"a task reports another commit", service{
			Deployments: []deployment{primary}, Tasks: []task{newTask(0), func() task { n := newTask(1); n.Commit = oldTask.Commit; return n }()},
		}, "GET / still reports commit '" + oldTask.Commit + "'"},
		{"the new deployment FAILED", service{
			Deployments: []deployment{{Status: "PRIMARY", RolloutState: "FAILED", TaskDefinition: newTD, Reason: "tasks failed to start"}},
		}, "FAILED: tasks failed to start"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h, _, _ := newHarness(t)
			h.change(func(w *world) {
				s := w.Stacks["staging"]
				w.Repos[repoName("staging")] = &repo{URL: account + "/octabyte-staging/app", Images: map[string]*image{digest: {Commit: commit}}}
				_ = w.up(s, s.Config, h.albURL+"/staging") // the stack's outputs
				svc := c.svc
				svc.Desired, svc.TaskDefs = 2, map[string]string{oldTD: account + "/octabyte-staging/app@sha256:old", newTD: want}
				s.Service = &svc
			})
			deadline := "60" // ample for the states that settle
			if c.fail != "" {
				deadline = "2" // the states that never do fail at the deadline
			}
			out, err := h.script("verify-deployment.sh", []string{"AWS_ACCESS_KEY_ID=ASIAHARNESS",
				"STACK=staging", "DIGEST=" + digest, "COMMIT=" + commit, "VERIFY_DEADLINE_SECONDS=" + deadline, "VERIFY_POLL_SECONDS=0.05"})
			if c.fail == "" {
				assert.NoError(t, err, out)
				assert.Contains(t, out, "GET / reported "+commit+" 8 times in a row")
				if c.svc.DrainPolls > 0 {
					assert.Contains(t, out, "healthy targets [10.0.2.10], tasks [10.0.2.10 10.0.2.11], desired 2; waiting", "it waited")
				}
				return
			}
			assert.Error(t, err, out)
			assert.Contains(t, out, c.fail)
		})
	}
}
