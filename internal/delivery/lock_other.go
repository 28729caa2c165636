//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package delivery

import (
	"os"
	"path/filepath"
)

// lockDir only creates the lock file: this system has no flock, so two
// engines sharing a directory are not detected.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o640)
}
