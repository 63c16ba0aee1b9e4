// Package sleep puts a non-production stack to sleep outside its working
// hours: EventBridge Scheduler stops the database and scales the service to
// zero in the evening, wakes both in the morning, and keeps the alarms quiet
// meanwhile. What is left running (load balancer, NAT, storage) costs the
// same asleep or awake.
package sleep

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Window is when a stack is awake: a set of days and a time span within
// each of them, in a time zone.
type Window struct {
	Days       []string // EventBridge cron day names (MON..SUN), in week order
	Start, End int      // minutes after midnight; Start < End
	TimeZone   string   // IANA name, e.g. Asia/Kolkata
}

// Lead times around the awake span: the database starts this long before
// the service (an RDS start takes several minutes and the tasks are not
// ready without it), alarms come back once the tasks have had time to pass
// their health checks, and the database stops after the tasks have drained.
const (
	DBWakeLeadMinutes    = 20
	AlarmsWakeLagMinutes = 15
	DBSleepLagMinutes    = 10
)

var week = []string{"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"}

var windowPattern = regexp.MustCompile(`^([a-z,-]+) ([0-2]\d):([0-5]\d)-([0-2]\d):([0-5]\d)$`)

// ParseWindow reads "<days> <HH:MM>-<HH:MM>", days being daily, weekdays,
// a range (mon-fri) or a list (mon,wed,fri), e.g. "mon-fri 08:00-20:00".
func ParseWindow(expr string) (Window, error) {
	m := windowPattern.FindStringSubmatch(strings.ToLower(strings.TrimSpace(expr)))
	if m == nil {
		return Window{}, fmt.Errorf(`must be "<days> HH:MM-HH:MM", e.g. "mon-fri 08:00-20:00" (days: daily, weekdays, mon-fri, mon,wed,fri)`)
	}
	days, err := parseDays(m[1])
	if err != nil {
		return Window{}, err
	}
	start, err := minutes(m[2], m[3])
	if err != nil {
		return Window{}, err
	}
	end, err := minutes(m[4], m[5])
	if err != nil {
		return Window{}, err
	}
	if end <= start {
		return Window{}, fmt.Errorf("the awake span must end after it starts on the same day (%s)", expr)
	}
	if start < DBWakeLeadMinutes {
		return Window{}, fmt.Errorf("the awake span must start at 00:%02d or later: the database starts %d minutes earlier, on the same day", DBWakeLeadMinutes, DBWakeLeadMinutes)
	}
	if end+DBSleepLagMinutes >= 24*60 {
		return Window{}, fmt.Errorf("the awake span must end by 23:%02d: the database stops %d minutes later, on the same day", 59-DBSleepLagMinutes, DBSleepLagMinutes)
	}
	return Window{Days: days, Start: start, End: end}, nil
}

func parseDays(s string) ([]string, error) {
	switch s {
	case "daily":
		return week, nil
	case "weekdays":
		return week[:5], nil
	}
	on := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		i, j := dayIndex(from), dayIndex(to)
		switch {
		case i < 0 || (isRange && j < 0):
			return nil, fmt.Errorf("%q is not a day: use mon, tue, wed, thu, fri, sat, sun, daily or weekdays", part)
		case !isRange:
			on[week[i]] = true
		case j < i:
			return nil, fmt.Errorf("day range %q runs backwards: the week starts on mon", part)
		default:
			for _, d := range week[i : j+1] {
				on[d] = true
			}
		}
	}
	var days []string
	for _, d := range week {
		if on[d] {
			days = append(days, d)
		}
	}
	return days, nil
}

func dayIndex(s string) int {
	return slices.Index(week, strings.ToUpper(s))
}

func minutes(h, m string) (int, error) {
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	if hh > 23 {
		return 0, fmt.Errorf("%s:%s is not a time of day", h, m)
	}
	return hh*60 + mm, nil
}

// AwakeFraction is the share of a week's hours the service is awake: what
// its tasks bill.
func (w Window) AwakeFraction() float64 {
	return w.fraction(w.Start, w.End)
}

// DatabaseAwakeFraction is the share of a week's hours the database runs,
// and bills: from DBWakeLeadMinutes before the awake span to
// DBSleepLagMinutes after it.
func (w Window) DatabaseAwakeFraction() float64 {
	return w.fraction(w.Start-DBWakeLeadMinutes, w.End+DBSleepLagMinutes)
}

// fraction is the share of the week between minutes from and to of each
// awake day.
func (w Window) fraction(from, to int) float64 {
	return float64(len(w.Days)*(to-from)) / (7 * 24 * 60)
}

// cron is the EventBridge Scheduler expression firing at minute-of-day t
// on the window's days (minute hour day-of-month month day-of-week year).
func (w Window) cron(t int) string {
	return fmt.Sprintf("cron(%d %d ? * %s *)", t%60, t/60, strings.Join(w.Days, ","))
}
