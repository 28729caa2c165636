package sink

import (
	"errors"
	"testing"
)

func TestPartial(t *testing.T) {
	cause := errors.New("connect: connection refused")
	if got := Partial(0, cause); got != cause {
		t.Errorf("Partial(0) = %#v, want the error itself", got)
	}
	var pe *PartialError
	if got := Partial(3, cause); !errors.As(got, &pe) || pe.Sent != 3 || pe.Err != cause {
		t.Errorf("Partial(3) = %#v, want a *PartialError with Sent 3", got)
	}
}
