package network

import (
	"fmt"
	"math/bits"
	"net/netip"
)

// Subnet is one subnet awsx will create: its type, AZ index and CIDR block.
type Subnet struct {
	Type string // Public or Private
	AZ   int    // 0-based index of the availability zone
	CIDR netip.Prefix
}

// subnetSpecs are the subnets of each AZ, in the order NewNetwork passes
// them to awsx (which allocates them in that order).
var subnetSpecs = []struct {
	Type string
	Mask int
}{{"Public", PublicSubnetMask}, {"Private", PrivateSubnetMask}}

// SubnetLayout is the layout awsx v2.22.0 allocates for NewNetwork's subnet
// specs with subnetStrategy "Auto", or the error awsx would fail the deploy
// with. It models awsx/ec2/subnetDistributorNew.ts (allocateSubnetCidrBlocks):
// the VPC is split into one block per AZ of prefix length vpc + ceil(log2(azs));
// the specs' total size must not exceed a block ("Subnets are too large for
// VPC"); in each block the first subnet starts at the block's base and each
// next one starts after the block, of its own size, that holds the previous
// subnet's last address (nextNetmask). awsx checks nothing else, and with our
// two power-of-two specs nothing else can fail: the block base is a multiple
// of both sizes, so the second subnet starts at base + max(public, private)
// and ends at most at base + 2*max - 1, inside the block whenever the total
// fits (a larger spec is at most half a block once the other one fits too).
func SubnetLayout(cidr string, azs int) ([]Subnet, error) {
	vpc, err := netip.ParsePrefix(cidr)
	if err != nil || !vpc.Addr().Is4() {
		return nil, fmt.Errorf("not an IPv4 CIDR block")
	}
	azBits := vpc.Bits() + newBits(azs)
	if azBits > 32 {
		return nil, fmt.Errorf("a /%d cannot be split into %d blocks", vpc.Bits(), 1<<newBits(azs))
	}
	azSize := size(azBits)
	var total uint64
	for _, s := range subnetSpecs {
		total += size(s.Mask)
	}
	if total > azSize {
		return nil, fmt.Errorf("awsx splits a /%d into %d blocks of /%d (%d addresses each), and one AZ's subnets (/%d public + /%d private) need %d",
			vpc.Bits(), 1<<newBits(azs), azBits, azSize, PublicSubnetMask, PrivateSubnetMask, total)
	}
	var out []Subnet
	base := addr(vpc.Masked().Addr())
	for az := range azs {
		var prev netip.Prefix
		for i, s := range subnetSpecs {
			start := base
			if i > 0 {
				last := addr(prev.Addr()) + size(prev.Bits()) - 1
				start = (last &^ (size(s.Mask) - 1)) + size(s.Mask)
			}
			prev = netip.PrefixFrom(ip(start), s.Mask)
			out = append(out, Subnet{Type: s.Type, AZ: az, CIDR: prev})
		}
		base += azSize
	}
	return out, nil
}

// newBits is awsx's newBits: the bits needed to number count blocks.
func newBits(count int) int {
	if count <= 1 {
		return 0
	}
	return bits.Len(uint(count - 1))
}

func size(prefixLen int) uint64 { return 1 << (32 - prefixLen) }

func addr(a netip.Addr) uint64 {
	b := a.As4()
	return uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
}

func ip(v uint64) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
