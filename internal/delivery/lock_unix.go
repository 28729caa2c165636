//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package delivery

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes an exclusive lock on dir, held until the returned file is
// closed. The kernel drops it when the process dies, so a crash leaves no
// stale lock behind.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errors.New("in use by another engine (another output instance with the same Spool_Dir?)")
		}
		return nil, fmt.Errorf("lock: %w", err)
	}
	return f, nil
}
