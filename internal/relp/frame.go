package relp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Protocol limits (librelp): TXNR and DATALEN have at most 9 digits, a
// COMMAND at most 32 letters.
const (
	maxTxnr       = 999_999_999
	maxDigits     = 9
	maxCommandLen = 32
)

// maxResponseData bounds the DATA of a frame from the server. Answers are a
// status line and, for "open", a few offers; more is garbage, and reading it
// would only grow the buffer.
const maxResponseData = 64 << 10

// nextTxnr returns the transaction number after txnr: 2 after 1 and so on,
// and 1 after 999999999 (0 is reserved for the server's "serverclose").
func nextTxnr(txnr int) int {
	if txnr >= maxTxnr {
		return 1
	}
	return txnr + 1
}

// appendFrame appends one frame to dst.
func appendFrame(dst []byte, txnr int, command string, data []byte) []byte {
	dst = strconv.AppendInt(dst, int64(txnr), 10)
	dst = append(dst, ' ')
	dst = append(dst, command...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(len(data)), 10)
	if len(data) > 0 {
		dst = append(dst, ' ')
		dst = append(dst, data...)
	}
	return append(dst, '\n')
}

// frame is one frame read from the server. command and data alias the
// frameReader's buffers and are valid until its next read.
type frame struct {
	txnr    int
	command []byte
	data    []byte
}

// errBadFrame is wrapped by every error about a frame that breaks the
// protocol.
var errBadFrame = errors.New("bad frame from server")

// frameReader reads frames from the server without allocating once its data
// buffer has grown to the largest answer.
type frameReader struct {
	r       *bufio.Reader
	command [maxCommandLen]byte
	data    []byte
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{r: bufio.NewReader(r)}
}

// reset makes fr read from r, dropping anything still buffered.
func (fr *frameReader) reset(r io.Reader) { fr.r.Reset(r) }

// buffered reports how many bytes have been received but not yet read.
func (fr *frameReader) buffered() int { return fr.r.Buffered() }

// read reads the next frame. It returns io.EOF when the stream ends between
// frames, io.ErrUnexpectedEOF when it ends inside one and an error wrapping
// errBadFrame when the bytes are no frame.
func (fr *frameReader) read() (frame, error) {
	if _, err := fr.r.Peek(1); err != nil {
		return frame{}, err
	}
	f, err := fr.readFrame()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return f, err
}

func (fr *frameReader) readFrame() (frame, error) {
	txnr, err := fr.number("transaction number")
	if err != nil {
		return frame{}, err
	}
	if err := fr.space("transaction number"); err != nil {
		return frame{}, err
	}
	command, err := fr.readCommand()
	if err != nil {
		return frame{}, err
	}
	if err := fr.space("command"); err != nil {
		return frame{}, err
	}
	size, err := fr.number("data length")
	if err != nil {
		return frame{}, err
	}
	if size > maxResponseData {
		return frame{}, fmt.Errorf("%w: data length %d exceeds %d", errBadFrame, size, maxResponseData)
	}
	c, err := fr.r.ReadByte()
	if err != nil {
		return frame{}, err
	}
	// DATALEN is followed by SP DATA, or by the trailer when there is no
	// DATA; "0 " before the trailer is tolerated as an empty DATA.
	fr.data = fr.data[:0]
	if c == ' ' {
		if cap(fr.data) < size {
			fr.data = make([]byte, size)
		}
		fr.data = fr.data[:size]
		if _, err := io.ReadFull(fr.r, fr.data); err != nil {
			return frame{}, err
		}
		if c, err = fr.r.ReadByte(); err != nil {
			return frame{}, err
		}
	} else if size > 0 {
		return frame{}, fmt.Errorf("%w: %q after data length %d, want a space", errBadFrame, c, size)
	}
	if c != '\n' {
		return frame{}, fmt.Errorf("%w: %q after %d data bytes, want a line feed", errBadFrame, c, size)
	}
	return frame{txnr: txnr, command: command, data: fr.data}, nil
}

// number reads 1 to maxDigits decimal digits and leaves the byte after them
// unread.
func (fr *frameReader) number(field string) (int, error) {
	n := 0
	for digits := 0; ; digits++ {
		c, err := fr.r.ReadByte()
		if err != nil {
			return 0, err
		}
		if c < '0' || c > '9' {
			if digits == 0 {
				return 0, fmt.Errorf("%w: %s starts with %q, want a digit", errBadFrame, field, c)
			}
			return n, fr.r.UnreadByte()
		}
		if digits == maxDigits {
			return 0, fmt.Errorf("%w: %s longer than %d digits", errBadFrame, field, maxDigits)
		}
		n = n*10 + int(c-'0')
	}
}

// readCommand reads 1 to maxCommandLen letters and leaves the byte after
// them unread.
func (fr *frameReader) readCommand() ([]byte, error) {
	for n := 0; ; n++ {
		c, err := fr.r.ReadByte()
		if err != nil {
			return nil, err
		}
		if c < 'A' || c > 'Z' && c < 'a' || c > 'z' {
			if n == 0 {
				return nil, fmt.Errorf("%w: command starts with %q, want a letter", errBadFrame, c)
			}
			return fr.command[:n], fr.r.UnreadByte()
		}
		if n == maxCommandLen {
			return nil, fmt.Errorf("%w: command longer than %d letters", errBadFrame, maxCommandLen)
		}
		fr.command[n] = c
	}
}

// space reads the space that ends field.
func (fr *frameReader) space(field string) error {
	c, err := fr.r.ReadByte()
	if err != nil {
		return err
	}
	if c != ' ' {
		return fmt.Errorf("%w: %q after the %s, want a space", errBadFrame, c, field)
	}
	return nil
}

// status returns the three-digit code that starts the DATA of an "rsp" and
// the first line of DATA ("200 OK\nrelp_version=0..." is 200 and "200 OK").
// ok is false when DATA does not start with a code.
func status(data []byte) (code int, line []byte, ok bool) {
	if len(data) < 3 || len(data) > 3 && data[3] != ' ' && data[3] != '\n' {
		return 0, nil, false
	}
	for _, c := range data[:3] {
		if c < '0' || c > '9' {
			return 0, nil, false
		}
		code = code*10 + int(c-'0')
	}
	line, _, _ = bytes.Cut(data, []byte{'\n'})
	return code, line, true
}
