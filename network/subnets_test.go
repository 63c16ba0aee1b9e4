package network_test

import (
	"fmt"
	"math/bits"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/network"
)

func layout(t *testing.T, cidr string, azs int) []string {
	t.Helper()
	subnets, err := network.SubnetLayout(cidr, azs)
	require.NoError(t, err)
	var out []string
	for _, s := range subnets {
		out = append(out, fmt.Sprintf("%s %d %s", s.Type, s.AZ+1, s.CIDR))
	}
	return out
}

// The CIDRs awsx v2.22.0 assigns with subnetStrategy Auto: one block per AZ
// (a /17 each for 2 AZs of a /16, a /18 each for 3), the /24 public subnet
// at the block's base and the /20 private one after the /20 that holds it.
func TestSubnetLayoutFollowsAwsxAllocation(t *testing.T) {
	assert.Equal(t, []string{
		"Public 1 10.0.0.0/24", "Private 1 10.0.16.0/20",
		"Public 2 10.0.128.0/24", "Private 2 10.0.144.0/20",
	}, layout(t, "10.0.0.0/16", 2))
	assert.Equal(t, []string{
		"Public 1 10.0.0.0/24", "Private 1 10.0.16.0/20",
		"Public 2 10.0.64.0/24", "Private 2 10.0.80.0/20",
		"Public 3 10.0.128.0/24", "Private 3 10.0.144.0/20",
	}, layout(t, "10.0.0.0/16", 3))
	assert.Equal(t, []string{
		"Public 1 172.16.0.0/24", "Private 1 172.16.16.0/20",
		"Public 2 172.16.32.0/24", "Private 2 172.16.48.0/20",
	}, layout(t, "172.16.0.0/18", 2))
}

// A block too small to number the AZs is an error, not a negative shift.
func TestSubnetLayoutRefusesABlockThatCannotHoldTheAZs(t *testing.T) {
	_, err := network.SubnetLayout("10.0.0.0/32", 2)
	assert.ErrorContains(t, err, "a /32 cannot be split into 2 blocks")
	_, err = network.SubnetLayout("10.0.0.0/31", 3)
	assert.ErrorContains(t, err, "a /31 cannot be split into 4 blocks")
}

func TestSubnetLayoutFitsOrFailsLikeAwsx(t *testing.T) {
	cases := []struct {
		cidr string
		azs  int
		fits bool
	}{
		{"10.0.0.0/16", 2, true}, {"10.0.0.0/16", 3, true},
		{"10.0.0.0/17", 2, true}, {"10.0.0.0/17", 3, true},
		{"10.0.0.0/18", 2, true}, {"10.0.0.0/18", 3, false}, // 4 blocks of /20: 4096 < 256 + 4096
		{"10.0.0.0/19", 2, false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s with %d AZs", tc.cidr, tc.azs), func(t *testing.T) {
			subnets, err := network.SubnetLayout(tc.cidr, tc.azs)
			if !tc.fits {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "need 4352")
				return
			}
			require.NoError(t, err)
			assert.Len(t, subnets, 2*tc.azs)
			// Each subnet lies inside its own AZ's block of the VPC.
			vpc := netip.MustParsePrefix(tc.cidr)
			azBits := vpc.Bits() + bits.Len(uint(tc.azs-1))
			owner := map[netip.Prefix]int{}
			for _, s := range subnets {
				block, err := s.CIDR.Addr().Prefix(azBits)
				require.NoError(t, err)
				assert.True(t, vpc.Contains(block.Addr()) && s.CIDR.Bits() >= azBits, "%s is not inside one of the VPC's /%d blocks", s.CIDR, azBits)
				if az, ok := owner[block]; ok {
					assert.Equal(t, az, s.AZ, "%s shares AZ %d's block", s.CIDR, az+1)
				}
				owner[block] = s.AZ
			}
			assert.Len(t, owner, tc.azs, "one block per AZ")
			for i, a := range subnets {
				for _, b := range subnets[i+1:] {
					assert.False(t, a.CIDR.Overlaps(b.CIDR), "%s overlaps %s", a.CIDR, b.CIDR)
				}
			}
		})
	}
}
