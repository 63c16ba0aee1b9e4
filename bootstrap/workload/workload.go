// Package workload is the contract between the bootstrap's CI deploy roles
// and the stacks they deploy: the IAM path and the permissions boundary every
// role a stack creates must carry. Both sides derive them from here, so a
// stack's roles match what its deploy role may create with no config step.
package workload

import "fmt"

// RolePath is the IAM path of every role and policy of one stack.
func RolePath(project, stack string) string { return "/" + project + "/" + stack + "/" }

// CIPath is the IAM path of the bootstrap's CI roles and of the boundary.
func CIPath(project string) string { return "/" + project + "-ci/" }

// BoundaryName is the name of the permissions boundary policy.
func BoundaryName(project string) string { return project + "-workload-boundary" }

// BoundaryARN is the boundary's ARN as IAM builds it: a customer managed
// policy's ARN contains its path (arn:aws:iam::<account>:policy/<path><name>).
func BoundaryARN(partition, account, project string) string {
	return fmt.Sprintf("arn:%s:iam::%s:policy%s%s", partition, account, CIPath(project), BoundaryName(project))
}
