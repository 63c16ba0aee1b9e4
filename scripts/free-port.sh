# shellcheck shell=bash
# free_port: print a TCP port on 127.0.0.1 that nothing listens on, or fail.
# Ports come from below the kernel's ephemeral range: a port inside it can be
# the source port of any outgoing connection on the machine, and binding a
# listener to it then fails with "address already in use" although nothing
# listens there (ip(7), ip_local_port_range).
free_port() {
  local low _high p
  read -r low _high </proc/sys/net/ipv4/ip_local_port_range
  ((low > 11000)) || low=32768
  for _ in $(seq 100); do
    p=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "free_port: no free TCP port below $low" >&2
  return 1
}
