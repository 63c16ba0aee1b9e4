package monitoring

import (
	"fmt"
	"regexp"
	"strconv"
)

// RDS sizing facts the database alarms are derived from.
const (
	// MaxConnectionsDivisor and MaxConnectionsCap are the RDS for PostgreSQL
	// default max_connections: LEAST({DBInstanceClassMemory/9531392}, 5000)
	// (AWS Prescriptive Guidance, "Tuning PostgreSQL parameters: max_connections").
	MaxConnectionsDivisor = 9531392
	MaxConnectionsCap     = 5000
	// ReservedMiB approximates what RDS keeps for the OS and its own agents:
	// DBInstanceClassMemory is the class memory minus this. Published
	// measurements (db.t2.small 198, db.t2.medium 413, db.t2.large 856
	// connections) put the reserve between 250 and 410 MiB; 300 MiB errs
	// towards a lower estimate, so the connection alarm fires early rather
	// than never.
	ReservedMiB = 300
)

var classPattern = regexp.MustCompile(`^db\.([tmr])\d+[a-z]*\.(micro|small|medium|large|xlarge|(\d+)xlarge)$`)

// burstableMiB is the memory of the burstable (db.t*) sizes.
var burstableMiB = map[string]int{
	"micro": 1024, "small": 2048, "medium": 4096, "large": 8192, "xlarge": 16384, "2xlarge": 32768,
}

// perLargeMiB is the memory of the .large size of the general purpose (m)
// and memory optimized (r) families; every size up doubles per xlarge step
// (db.m7g.xlarge 16 GiB, db.r7g.4xlarge 128 GiB).
var perLargeMiB = map[string]int{"m": 8192, "r": 16384}

// InstanceMemoryMiB returns the memory of an RDS instance class of the t, m
// or r families (db.t4g.micro, db.m7g.large, db.r6i.4xlarge, ...).
func InstanceMemoryMiB(class string) (int, bool) {
	m := classPattern.FindStringSubmatch(class)
	if m == nil {
		return 0, false
	}
	family, size, multiple := m[1], m[2], m[3]
	if family == "t" {
		mib, ok := burstableMiB[size]
		return mib, ok
	}
	switch {
	case size == "large":
		return perLargeMiB[family], true
	case size == "xlarge":
		return 2 * perLargeMiB[family], true
	case multiple != "":
		n, err := strconv.Atoi(multiple)
		if err != nil || n < 2 {
			return 0, false
		}
		return 2 * n * perLargeMiB[family], true
	}
	return 0, false // m and r classes start at .large
}

// instanceMemory is InstanceMemoryMiB for callers that report the unknown class.
func instanceMemory(class string) (int, error) {
	mib, ok := InstanceMemoryMiB(class)
	if !ok {
		return 0, fmt.Errorf("unknown memory size of RDS instance class %q (known: db.t*, db.m* and db.r* classes)", class)
	}
	return mib, nil
}

// EstimateMaxConnections is RDS for PostgreSQL's default max_connections
// for an instance class.
func EstimateMaxConnections(class string) (int, error) {
	mib, err := instanceMemory(class)
	if err != nil {
		return 0, err
	}
	return defaultMaxConnections(mib), nil
}

// defaultMaxConnections is RDS for PostgreSQL's default max_connections for
// an instance with mib of memory.
func defaultMaxConnections(mib int) int {
	usable := int64(mib-ReservedMiB) * 1024 * 1024
	return min(int(usable/MaxConnectionsDivisor), MaxConnectionsCap)
}
