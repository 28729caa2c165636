package config

import (
	"github.com/welfbridge/welfbridge/internal/failover"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFailoverSettings(t *testing.T) {
	tests := []struct {
		props map[string]string
		dest  DestinationURL
		want  *Failover
	}{
		{map[string]string{"Destination": "tls://siem-a:6514"}, DestinationURL{Scheme: "tls", Address: "siem-a:6514"}, nil},
		{map[string]string{"Destination": "tls://siem-a, tls://siem-b:7514"}, DestinationURL{Scheme: "tls", Address: "siem-a:6514", Receivers: "tls://siem-a:6514,tls://siem-b:7514"},
			&Failover{Addresses: []string{"siem-a:6514", "siem-b:7514"}, Pool: failover.Options{FailbackInterval: time.Minute}}},
		{map[string]string{"Destination": "relp://10.0.0.1,relp://10.0.0.2,relp://10.0.0.3", "Balance": "Round-Robin", "Failback_Interval": "5s"},
			DestinationURL{Scheme: "relp", Address: "10.0.0.1:2514", Receivers: "relp://10.0.0.1:2514,relp://10.0.0.2:2514,relp://10.0.0.3:2514"},
			&Failover{Addresses: []string{"10.0.0.1:2514", "10.0.0.2:2514", "10.0.0.3:2514"}, Pool: failover.Options{Policy: failover.RoundRobin, FailbackInterval: 5 * time.Second}}},
		{map[string]string{"Destination": "forward://a,forward://a:24225", "Balance": "failover", "Failback_Interval": "0"},
			DestinationURL{Scheme: "forward", Address: "a:24224", Receivers: "forward://a:24224,forward://a:24225"},
			&Failover{Addresses: []string{"a:24224", "a:24225"}}},
	}
	for _, tt := range tests {
		c, err := Parse(props(tt.props), "h")
		if err != nil {
			t.Errorf("%v: %v", tt.props, err)
			continue
		}
		if c.Destination != tt.dest || !reflect.DeepEqual(c.Failover, tt.want) {
			t.Errorf("%v:\n got %+v %+v\nwant %+v %+v", tt.props, c.Destination, c.Failover, tt.dest, tt.want)
		}
	}
}

func TestFailoverErrors(t *testing.T) {
	tests := []struct {
		props map[string]string
		want  string
	}{
		{map[string]string{"Destination": "tls://siem-a:6514,tcp://siem-b:514"},
			`Destination: invalid value "tls://siem-a:6514,tcp://siem-b:514": tls://siem-a:6514 and tcp://siem-b:514 mix schemes: all receivers must use one scheme, so that one carrier and one set of TLS settings serve them all`},
		{map[string]string{"Destination": "relp://a,forward://b"},
			`Destination: invalid value "relp://a,forward://b": relp://a:2514 and forward://b:24224 mix schemes`},
		{map[string]string{"Destination": "tcp://siem-a,TCP://SIEM-A:514"},
			`Destination: invalid value "tcp://siem-a,TCP://SIEM-A:514": receiver SIEM-A:514 is listed twice`},
		{map[string]string{"Destination": "tcp://siem-a,,tcp://siem-b"},
			`Destination: invalid value "tcp://siem-a,,tcp://siem-b": element 2 of the list is empty; allowed: several URLs of one scheme separated by commas, e.g. tls://siem-a:6514,tls://siem-b:6514`},
		{map[string]string{"Destination": "tcp://siem-a,"},
			`Destination: invalid value "tcp://siem-a,": element 2 of the list is empty`},
		{map[string]string{"Destination": "tcp://siem-a,file:///tmp/x"},
			`Destination: invalid value "tcp://siem-a,file:///tmp/x": file:///tmp/x cannot be one of several receivers`},
		{map[string]string{"Destination": "tcp://siem-a,tcp://:514"},
			`Destination: invalid value "tcp://:514": allowed: tcp://host[:port]`},
		{map[string]string{"Destination": "tcp://a,tcp://b", "Balance": "random"},
			`Balance: invalid value "random": allowed: failover, round-robin`},
		{map[string]string{"Destination": "tcp://a,tcp://b", "Failback_Interval": "soon"},
			`Failback_Interval: invalid value "soon": allowed: a duration`},
		{map[string]string{"Destination": "file:///tmp/x", "Balance": "round-robin"},
			`Balance: invalid value "round-robin": applies only to network destinations`},
	}
	for _, tt := range tests {
		_, err := Parse(props(tt.props), "h")
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%v:\n got %v\nwant %s…", tt.props, err, tt.want)
		}
	}
}
