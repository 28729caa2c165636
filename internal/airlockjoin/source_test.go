package airlockjoin

import "testing"

// TestUnknownFieldSource: airlock.Record.Set takes "_source" for a Kibana
// export's document and clears the record first; a "_source" that was no
// document is an unknown field like any other and must not clear the
// output it is merged into.
func TestUnknownFieldSource(t *testing.T) {
	const id = "ZebVfGq3rXx9Qm2kYcE1HwAAAEk"
	conntrace := append([]string{"_source", "not a document"}, conntraceFields(id)...)
	summary := []string{"_source", "{broken", "@timestamp", "2024-03-05T09:12:44.331+01:00", "host", "gw01",
		"log_id", "WR-SG-SUMMARY", "req_id", id, "http_status", "200", "x_custom", "1"}
	const want = `[2] id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 src=198.51.100.23 srcport=51544 dst=10.20.1.17 dstport=8080 result=200 log_id=WR-SG-SUMMARY req_id=` + id + ` _source={broken x_custom=1`
	for _, order := range [][][]string{{conntrace, summary}, {summary, conntrace}} {
		j := newJoiner(t, Config{Conntrace: ConntraceOn})
		c := newCollector()
		f := &feeder{t: t}
		for _, fields := range order {
			f.addFields(j, c, base, fields...)
		}
		j.Tick(c.emit)
		diffLines(t, "outputs", c.take(), []string{want})

		// The same through a restart.
		f.addFields(j, c, base, append([]string{"_source", "x"}, sessionStartOf(fixtureSession, "alice@example.com")...)...)
		j = restart(t, j, Config{}, 1)
		j.Drain(c.emit)
		diffLines(t, "session", c.take(), []string{`[1] id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 src=198.51.100.23 user=alice@example.com log_id=WR-SG-SESS-004 sess_id=` + fixtureSession + ` _source=x partial=shutdown`})
	}
}
