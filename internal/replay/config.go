package replay

import (
	"bytes"
	"fmt"
	"strings"
)

// Params are what Render puts into the replay configuration.
type Params struct {
	// Path replaces the tail input's Path: comma-separated globs.
	Path string
	// Destination replaces the welf output's Destination.
	Destination string
	// Set are further welf properties, each replacing the property of the
	// same name or added to the output.
	Set []Property
	// Extra is appended to the configuration, e.g. a [FILTER] section.
	Extra string
}

// Property is a key and value of a config section.
type Property struct {
	Key, Value string
}

// ParseProperty parses "Key=Value" (or "Key Value").
func ParseProperty(s string) (Property, error) {
	key, value, ok := strings.Cut(s, "=")
	if !ok {
		key, value, ok = strings.Cut(s, " ")
	}
	key, value = strings.TrimSpace(key), strings.TrimSpace(value)
	if !ok || key == "" || value == "" || strings.ContainsAny(key, " \t=[]#") || strings.ContainsAny(value, "\r\n") {
		return Property{}, fmt.Errorf("replay: property %q: want Key=Value, the value on one line", s)
	}
	return Property{key, value}, nil
}

// Render returns the classic Fluent Bit configuration tmpl (the shipped
// conf/fluent-bit-replay.conf) with the tail input's Path and the welf
// output's properties set from p. tmpl must have exactly one [INPUT] with
// Name tail and exactly one [OUTPUT] with Name welf.
func Render(tmpl []byte, p Params) ([]byte, error) {
	lines := strings.Split(strings.TrimRight(string(tmpl), "\n"), "\n")
	sections := splitSections(lines)
	var input, output *section
	for i := range sections {
		s := &sections[i]
		switch {
		case strings.EqualFold(s.name, "INPUT") && strings.EqualFold(s.get(lines, "Name"), "tail"):
			if input != nil {
				return nil, fmt.Errorf("replay: the configuration has more than one tail input")
			}
			input = s
		case strings.EqualFold(s.name, "OUTPUT") && strings.EqualFold(s.get(lines, "Name"), "welf"):
			if output != nil {
				return nil, fmt.Errorf("replay: the configuration has more than one welf output")
			}
			output = s
		}
	}
	if input == nil || output == nil {
		return nil, fmt.Errorf("replay: the configuration needs one [INPUT] Name tail and one [OUTPUT] Name welf")
	}
	if !input.set(lines, "Path", p.Path) {
		return nil, fmt.Errorf("replay: the tail input has no Path to replace")
	}
	var added []string
	set := append([]Property{{"Destination", p.Destination}}, p.Set...)
	for _, prop := range set {
		if prop.Value == "" {
			continue
		}
		if !output.set(lines, prop.Key, prop.Value) {
			added = append(added, "    "+prop.Key+" "+prop.Value)
		}
	}
	var b bytes.Buffer
	for i, line := range lines {
		b.WriteString(line)
		b.WriteByte('\n')
		if i == output.last {
			for _, a := range added {
				b.WriteString(a)
				b.WriteByte('\n')
			}
		}
	}
	if p.Extra != "" {
		b.WriteByte('\n')
		b.WriteString(strings.TrimRight(p.Extra, "\n"))
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// section is a [NAME] section: its header line and its last property line.
type section struct {
	name        string
	first, last int // line indexes: header, last property (header if none)
}

func splitSections(lines []string) []section {
	var out []section
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			out = append(out, section{name: t[1 : len(t)-1], first: i, last: i})
			continue
		}
		if len(out) > 0 && t != "" && !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "@") {
			out[len(out)-1].last = i
		}
	}
	return out
}

// property returns the key and value of a property line, ok false for
// comments, blank lines and headers.
func property(line string) (key, value string, ok bool) {
	t := strings.TrimSpace(line)
	if t == "" || t[0] == '#' || t[0] == '[' || t[0] == '@' {
		return "", "", false
	}
	key, value, _ = strings.Cut(t, " ")
	return key, strings.TrimSpace(value), true
}

func (s *section) get(lines []string, key string) string {
	for i := s.first + 1; i <= s.last; i++ {
		if k, v, ok := property(lines[i]); ok && strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// set replaces the value of key in place, keeping the line's layout;
// false if the section lacks the key.
func (s *section) set(lines []string, key, value string) bool {
	for i := s.first + 1; i <= s.last; i++ {
		if k, _, ok := property(lines[i]); ok && strings.EqualFold(k, key) {
			line := lines[i]
			start := strings.Index(line, k) + len(k)
			gap := len(line[start:]) - len(strings.TrimLeft(line[start:], " \t"))
			lines[i] = line[:start+gap] + value
			return true
		}
	}
	return false
}
