package config

import (
	"fmt"
	"strings"
	"time"
)

// Keys of the failover settings (a Destination of several receivers).
const (
	KeyBalance          = "Balance"
	KeyFailbackInterval = "Failback_Interval"
)

// DefaultFailbackInterval is how long a receiver that failed must stay
// reachable before records fail back to it.
const DefaultFailbackInterval = 60 * time.Second

// Balance says how records are spread over several receivers.
type Balance uint8

const (
	BalanceFailover   Balance = iota // the first receiver in list order that is up
	BalanceRoundRobin                // whole batches in turn over the receivers that are up
)

// Failover holds the settings of a Destination of several receivers.
type Failover struct {
	Addresses        []string // host:port of each receiver, in list order; the first is Destination.Address
	Balance          Balance
	FailbackInterval time.Duration
}

const receiversAllowed = "allowed: several URLs of one scheme separated by commas, e.g. tls://siem-a:6514,tls://siem-b:6514"

// receivers parses a Destination that lists several receivers: network URLs
// of one scheme, each receiver once. It returns the first; failover returns
// them all.
func (p *parser) receivers(v string) Destination {
	var first Destination
	var addrs []string
	seen := make(map[string]bool)
	for i, elem := range strings.Split(v, ",") {
		elem = strings.TrimSpace(elem)
		if elem == "" {
			p.fail(KeyDestination, v, fmt.Sprintf("element %d of the list is empty; %s", i+1, receiversAllowed))
			return Destination{Scheme: "stdout"}
		}
		errs := len(p.errs)
		d := p.oneDestination(elem)
		if len(p.errs) > errs {
			return Destination{Scheme: "stdout"}
		}
		switch {
		case !d.Network():
			p.fail(KeyDestination, v, fmt.Sprintf("%s cannot be one of several receivers: only network destinations (udp, tcp, tls, relp, relp+tls, forward, forward+tls) can; %s", elem, receiversAllowed))
			return Destination{Scheme: "stdout"}
		case i == 0:
			first = d
		case d.Scheme != first.Scheme:
			p.fail(KeyDestination, v, fmt.Sprintf("%s and %s mix schemes: all receivers must use one scheme, so that one carrier and one set of TLS settings serve them all", first, d))
			return Destination{Scheme: "stdout"}
		}
		key := strings.ToLower(d.Address)
		if seen[key] {
			p.fail(KeyDestination, v, fmt.Sprintf("receiver %s is listed twice", d.Address))
			return Destination{Scheme: "stdout"}
		}
		seen[key] = true
		addrs = append(addrs, d.Address)
	}
	p.addresses = addrs
	if len(addrs) > 1 {
		urls := make([]string, len(addrs))
		for i, a := range addrs {
			urls[i] = first.Scheme + "://" + a
		}
		first.Receivers = strings.Join(urls, ",")
	}
	return first
}

// failover reads Balance and Failback_Interval; it returns nil unless the
// destination lists several receivers.
func (p *parser) failover(d Destination) *Failover {
	f := Failover{Addresses: p.addresses, FailbackInterval: p.duration(KeyFailbackInterval, DefaultFailbackInterval)}
	switch v := p.value(KeyBalance); strings.ToLower(v) {
	case "", "failover":
	case "round-robin":
		f.Balance = BalanceRoundRobin
	default:
		p.fail(KeyBalance, v, "allowed: failover, round-robin")
	}
	if !d.Network() {
		for _, key := range []string{KeyBalance, KeyFailbackInterval} {
			if v := p.value(key); v != "" {
				p.fail(key, v, "applies only to network destinations (udp, tcp, tls, relp, forward)")
			}
		}
	}
	if len(f.Addresses) < 2 {
		return nil
	}
	return &f
}
