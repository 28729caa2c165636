package replay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// NormalizeAirlock copies an Airlock log from r to w as one record per
// line, the form tail reads and welf decodes:
//
//   - lines that are each a JSON value — raw Airlock JSON, Kibana hits
//     ({"_index", "_source", "fields"}, what Kibana's Inspect view and
//     elasticdump write) — and lines behind a syslog or "<time> <host> "
//     prefix are copied unchanged;
//   - a JSON document spread over several lines — a pretty-printed hit or
//     record, a JSON array of them, or an Elasticsearch _search response
//     ({"hits": {"hits": [...]}}, Kibana's "Inspect > Response") — and
//     several such documents in a row are rewritten with one record or
//     hit per line, each byte of every string kept as it was.
//
// welf itself takes "_source" from a hit and ignores "fields".
func NormalizeAirlock(w io.Writer, r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(br.Size())
	if len(head) == 0 {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	bom := bytes.HasPrefix(head, []byte("\ufeff"))
	body := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\ufeff")), " \t\r\n")
	if len(body) == 0 || body[0] != '{' && body[0] != '[' {
		return copyRest(w, br)
	}
	if body[0] == '{' {
		// One JSON value per line is the common form: copy it unchanged.
		line, _, more := bytes.Cut(body, []byte{'\n'})
		if (more || len(head) < br.Size()) && json.Valid(line) {
			return copyRest(w, br)
		}
	}
	if bom {
		br.Discard(3)
	}
	dec := json.NewDecoder(br)
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("not JSON lines, and not a JSON export either: %w", err)
		}
		if err := writeRecords(w, v, 0); err != nil {
			return err
		}
	}
}

// copyRest copies what is left of br to w.
func copyRest(w io.Writer, br *bufio.Reader) error {
	_, err := io.Copy(w, br)
	return err
}

// writeRecords writes the records in one JSON value: each element of an
// array, each hit of a _search response, or the value itself.
func writeRecords(w io.Writer, v json.RawMessage, depth int) error {
	v = bytes.TrimSpace(v)
	if depth < 2 && len(v) > 0 && v[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			return err
		}
		for _, item := range items {
			if err := writeRecords(w, item, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if depth < 2 && len(v) > 0 && v[0] == '{' {
		var resp struct {
			Hits *struct {
				Hits []json.RawMessage `json:"hits"`
			} `json:"hits"`
		}
		if json.Unmarshal(v, &resp) == nil && resp.Hits != nil && resp.Hits.Hits != nil {
			for _, hit := range resp.Hits.Hits {
				if err := writeRecords(w, hit, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
	}
	var line bytes.Buffer
	if err := json.Compact(&line, v); err != nil {
		return err
	}
	line.WriteByte('\n')
	_, err := w.Write(line.Bytes())
	return err
}
