package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// DestinationURL is where encoded records go, as the Destination key names
// it: parsed and checked, not yet opened (package destination opens it).
type DestinationURL struct {
	Scheme  string // stdout, file, udp, tcp, tls, relp, relp+tls, forward, forward+tls
	Path    string // absolute path, for file
	Address string // host:port, for the network schemes
	// Receivers is every receiver's URL, comma-separated, when there are
	// several (see Config.Failover); Address is the first.
	Receivers string
}

func (d DestinationURL) String() string {
	if d.Receivers != "" {
		return d.Receivers
	}
	switch d.Scheme {
	case "file":
		return "file://" + d.Path
	case "stdout":
		return "stdout"
	}
	return d.Scheme + "://" + d.Address
}

// Syslog reports whether the destination carries syslog messages.
func (d DestinationURL) Syslog() bool {
	switch d.Scheme {
	case "udp", "tcp", "tls", "relp", "relp+tls":
		return true
	}
	return false
}

// TLS reports whether the destination is reached over TLS.
func (d DestinationURL) TLS() bool {
	return d.Scheme == "tls" || strings.HasSuffix(d.Scheme, "+tls")
}

// Forward reports whether the destination speaks the forward protocol.
func (d DestinationURL) Forward() bool { return strings.HasPrefix(d.Scheme, "forward") }

// Network reports whether the destination is reached over the network.
func (d DestinationURL) Network() bool { return d.Scheme != "stdout" && d.Scheme != "file" }

// defaultPorts are the well-known ports of each network scheme: syslog
// (RFC 5426, RFC 6587, RFC 5425), RELP as rsyslog's documentation uses it,
// and Fluentd's forward protocol.
var defaultPorts = map[string]string{
	"udp": "514", "tcp": "514", "tls": "6514",
	"relp": "2514", "relp+tls": "2514",
	"forward": "24224", "forward+tls": "24224",
}

const destinationsAllowed = "allowed: stdout, file:///absolute/path, udp://host[:port], tcp://host[:port], tls://host[:port], " +
	"relp://host[:port], relp+tls://host[:port], forward://host[:port], forward+tls://host[:port]"

// destination parses the Destination value v and returns it with the
// address of each receiver when it lists several.
func (p *parser) destination(v string) (DestinationURL, []string) {
	if strings.Contains(v, ",") {
		return p.receivers(v)
	}
	return p.oneDestination(v), nil
}

// oneDestination parses one destination URL.
func (p *parser) oneDestination(v string) DestinationURL {
	if v == "" || strings.EqualFold(v, "stdout") {
		return DestinationURL{Scheme: "stdout"}
	}
	u, err := url.Parse(v)
	if err != nil {
		p.fail(KeyDestination, v, destinationsAllowed)
		return DestinationURL{Scheme: "stdout"}
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "file" {
		if u.Host != "" && u.Host != "localhost" || u.RawQuery != "" || u.Fragment != "" ||
			!filepath.IsAbs(u.Path) || strings.HasSuffix(u.Path, "/") {
			p.fail(KeyDestination, v, "allowed: file:///absolute/path (an absolute file path, e.g. file:///var/log/welf/airlock.log)")
			return DestinationURL{Scheme: "stdout"}
		}
		return DestinationURL{Scheme: "file", Path: filepath.Clean(u.Path)}
	}
	port, known := defaultPorts[scheme]
	if !known {
		p.fail(KeyDestination, v, destinationsAllowed)
		return DestinationURL{Scheme: "stdout"}
	}
	host := u.Hostname()
	if u.Port() != "" {
		port = u.Port()
	}
	n, err := strconv.Atoi(port)
	if host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil || err != nil || n < 1 || n > 65535 {
		p.fail(KeyDestination, v, "allowed: "+scheme+"://host[:port] with a host name or address and a port from 1 to 65535 (default "+defaultPorts[scheme]+")")
		return DestinationURL{Scheme: "stdout"}
	}
	return DestinationURL{Scheme: scheme, Address: net.JoinHostPort(host, port)}
}

const receiversAllowed = "allowed: several URLs of one scheme separated by commas, e.g. tls://siem-a:6514,tls://siem-b:6514"

// receivers parses a Destination that lists several receivers: network URLs
// of one scheme, each receiver once. It returns the first and every
// receiver's address.
func (p *parser) receivers(v string) (DestinationURL, []string) {
	var first DestinationURL
	var addrs []string
	seen := make(map[string]bool)
	for i, elem := range strings.Split(v, ",") {
		elem = strings.TrimSpace(elem)
		if elem == "" {
			p.fail(KeyDestination, v, fmt.Sprintf("element %d of the list is empty; %s", i+1, receiversAllowed))
			return DestinationURL{Scheme: "stdout"}, nil
		}
		errs := len(p.errs)
		d := p.oneDestination(elem)
		if len(p.errs) > errs {
			return DestinationURL{Scheme: "stdout"}, nil
		}
		switch {
		case !d.Network():
			p.fail(KeyDestination, v, fmt.Sprintf("%s cannot be one of several receivers: only network destinations (udp, tcp, tls, relp, relp+tls, forward, forward+tls) can; %s", elem, receiversAllowed))
			return DestinationURL{Scheme: "stdout"}, nil
		case i == 0:
			first = d
		case d.Scheme != first.Scheme:
			p.fail(KeyDestination, v, fmt.Sprintf("%s and %s mix schemes: all receivers must use one scheme, so that one carrier and one set of TLS settings serve them all", first, d))
			return DestinationURL{Scheme: "stdout"}, nil
		}
		key := strings.ToLower(d.Address)
		if seen[key] {
			p.fail(KeyDestination, v, fmt.Sprintf("receiver %s is listed twice", d.Address))
			return DestinationURL{Scheme: "stdout"}, nil
		}
		seen[key] = true
		addrs = append(addrs, d.Address)
	}
	if len(addrs) > 1 {
		urls := make([]string, len(addrs))
		for i, a := range addrs {
			urls[i] = first.Scheme + "://" + a
		}
		first.Receivers = strings.Join(urls, ",")
	}
	return first, addrs
}
