package workload

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// IAM puts a policy's path between "policy" and its name.
func TestBoundaryARNContainsThePath(t *testing.T) {
	assert.Equal(t, "arn:aws:iam::123456789012:policy/octabyte-ci/octabyte-workload-boundary", BoundaryARN("aws", "123456789012", "octabyte"))
	assert.Equal(t, "arn:aws-cn:iam::123456789012:policy/shop-ci/shop-workload-boundary", BoundaryARN("aws-cn", "123456789012", "shop"))
	assert.Equal(t, "/shop/prod/", RolePath("shop", "prod"))
}
