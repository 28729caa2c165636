// Package durable writes files that survive a crash: whole files replaced
// atomically, directory entries synced, and records that carry a CRC-32C
// so that a reader can tell an intact record from a torn or damaged one.
//
// Two record shapes share the checksum:
//
//   - A frame is a length and a CRC-32C followed by a body of that length
//     ([AppendFrame], [NextFrame], [FrameReader]); it suits records of any
//     size, such as the records of the delivery spool.
//   - A sealed record has a fixed size and ends with the CRC-32C of the
//     bytes before it ([Seal], [ScanSealed]); it suits small fixed-size
//     entries of an append-only log, such as checkpoints and digests.
//
// A reader stops at the first record that is not intact and says why:
// [ErrTruncated] when the file ends inside the record (a write cut short by
// a crash), [ErrCorrupt] when the record is all there but fails its
// checksum or bounds.
package durable

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile replaces the file at path with data durably: see [Replace].
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := Replace(path, data, perm, true)
	if err != nil {
		return err
	}
	return f.Close()
}

// Replace replaces the file at path with data and returns it open for
// writing after data, to append to. The data goes to a temporary file in
// the same directory (named "."+base+".tmp", so that a crash leaves at most
// one behind, which the next Replace overwrites), which is renamed over
// path: a crash leaves the old file or the new one, never a mix. With sync
// set, the data is synced before the rename and the directory after it, so
// that the new file survives a crash once Replace returns. If writing or
// renaming fails, path is unchanged and the temporary file removed; if only
// the directory sync fails, the new file is in place but may not survive a
// crash.
func Replace(path string, data []byte, perm os.FileMode, sync bool) (*os.File, error) {
	dir, base := filepath.Split(path)
	tmp := filepath.Join(dir, "."+base+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return nil, err
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	if sync {
		if err := SyncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// SyncDir syncs the directory dir, so that the names created, renamed or
// removed in it survive a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("syncing directory: %w", err)
	}
	return nil
}

// Errors a reader returns for a record that is not intact.
var (
	ErrTruncated = errors.New("truncated record")
	ErrCorrupt   = errors.New("corrupt record")
)
