package replay

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MaxUnzipBytes bounds what one archive may unpack to, so that a zip bomb
// fills no disk.
const MaxUnzipBytes = 64 << 30

// errEscape marks an archive entry that would land outside the directory.
var errEscape = errors.New("would be written outside the extraction directory")

// Unzip unpacks the zip archive at path into dir, which must exist. It
// refuses the whole archive, before writing anything, when an entry's name
// is absolute, contains a ".." element or a backslash, or when an entry is
// a symbolic link or another non-regular file: such names are how a crafted
// archive writes outside the directory it is unpacked to ("zip slip").
// Files keep their modification times. At most limit bytes are written.
func Unzip(path, dir string, limit int64) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("replay: open archive %s: %w", path, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if err := checkEntry(f); err != nil {
			return fmt.Errorf("replay: archive %s: refused: %w", path, err)
		}
	}
	var written int64
	for _, f := range zr.File {
		n, err := extract(f, dir, limit-written, limit)
		written += n
		if err != nil {
			return fmt.Errorf("replay: archive %s: %w", path, err)
		}
	}
	return nil
}

// checkEntry reports why an entry may not be unpacked, or nil.
func checkEntry(f *zip.File) error {
	name := f.Name
	switch {
	case name == "":
		return fmt.Errorf("an entry has an empty name")
	case strings.ContainsRune(name, '\\'):
		// Windows separators: "..\x" would escape once a tool maps them.
		return fmt.Errorf("entry %q: %w (backslash in the name)", name, errEscape)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("entry %q: NUL in the name", name)
	case strings.HasPrefix(name, "/") || filepath.VolumeName(name) != "" || (len(name) > 1 && name[1] == ':'):
		return fmt.Errorf("entry %q: %w (absolute path)", name, errEscape)
	}
	for _, elem := range strings.Split(name, "/") {
		if elem == ".." {
			return fmt.Errorf("entry %q: %w (\"..\" in the path)", name, errEscape)
		}
	}
	if !filepath.IsLocal(filepath.FromSlash(strings.TrimSuffix(name, "/"))) {
		return fmt.Errorf("entry %q: %w", name, errEscape)
	}
	mode := f.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		return fmt.Errorf("entry %q: %w (a symbolic link)", name, errEscape)
	case mode.IsDir(), mode.IsRegular():
		return nil
	default:
		return fmt.Errorf("entry %q: not a regular file or directory (%v)", name, mode.Type())
	}
}

// extract writes one checked entry below dir and returns the bytes written.
// limit is what it may still write, of total for the whole archive.
func extract(f *zip.File, dir string, limit, total int64) (int64, error) {
	target := filepath.Join(dir, filepath.FromSlash(f.Name))
	if f.Mode().IsDir() {
		return 0, os.MkdirAll(target, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return 0, err
	}
	rc, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("entry %q: %w", f.Name, err)
	}
	defer rc.Close()
	// O_EXCL: a second entry of the same name would silently replace the
	// first; and no existing file (or link planted by an earlier entry) is
	// ever written through.
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, fmt.Errorf("entry %q: %w", f.Name, err)
	}
	n, err := io.Copy(out, io.LimitReader(rc, limit+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = fmt.Errorf("entry %q: the archive unpacks to more than %d bytes", f.Name, total)
	}
	if err != nil {
		return n, fmt.Errorf("entry %q: %w", f.Name, err)
	}
	if mt := f.Modified; !mt.IsZero() {
		if err := os.Chtimes(target, mt, mt); err != nil {
			return n, err
		}
	}
	return n, nil
}
