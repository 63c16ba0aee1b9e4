package scripts

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/octabyte/octabyte/internal/testfiles"
)

// freePorts runs free_port (free-port.sh) n times after seeding bash's
// RANDOM, so the candidates it tries are known in advance.
func freePorts(t *testing.T, seed, n int) []int {
	t.Helper()
	script := fmt.Sprintf("source free-port.sh; RANDOM=%d; for _ in $(seq %d); do free_port; done", seed, n)
	testfiles.Track(t, "free-port.sh")
	out, err := exec.Command("bash", "-c", script).CombinedOutput()
	require.NoError(t, err, "%s", out)
	var ports []int
	for _, f := range strings.Fields(string(out)) {
		p, err := strconv.Atoi(f)
		require.NoError(t, err, "%s", out)
		ports = append(ports, p)
	}
	require.Len(t, ports, n)
	return ports
}

// Test servers listen below the kernel's ephemeral range: a port inside it
// can be the source port of any outgoing connection (ip(7),
// ip_local_port_range), and a listener then fails to bind it.
func TestFreePortPicksBelowTheEphemeralRange(t *testing.T) {
	raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	require.NoError(t, err)
	low, err := strconv.Atoi(strings.Fields(string(raw))[0])
	require.NoError(t, err)
	for _, p := range freePorts(t, 1, 200) {
		assert.GreaterOrEqual(t, p, 10000)
		assert.Less(t, p, low, "inside the ephemeral range %s", strings.TrimSpace(string(raw)))
	}
}

// A port something listens on is skipped: with the same seed, the first
// candidate is taken by a listener here, and free_port gives the next one.
func TestFreePortSkipsAPortInUse(t *testing.T) {
	for seed := 1; seed < 20; seed++ {
		first := freePorts(t, seed, 1)[0]
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(first))
		if err != nil {
			continue // taken by someone else meanwhile: another seed
		}
		got := freePorts(t, seed, 1)[0]
		require.NoError(t, l.Close())
		assert.NotEqual(t, first, got, "free_port returned the port a listener holds")
		return
	}
	t.Fatal("no seed's first port could be listened on")
}
