package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tenso-go/tenso/internal/convert"
)

func init() {
	register("convert", "convert .npy / .safetensors files to .tenso and back (streaming)", runConvert)
}

func runConvert(args []string) int { return convertMain(args, os.Stderr) }

const convertDescription = `Converts by file extension, streaming bodies through a 1 MiB buffer:
  .npy         -> .tenso        one dense packet
  .safetensors -> .tenso        one bundle: names, dtypes (F16, BF16, ...), shapes kept
  .tenso       -> .npy          a dense packet
  .tenso       -> .safetensors  a bundle of dense tensors (or one dense packet)
OUT defaults to IN with the extension .tenso (for .npy and .safetensors input).
The output is written to a temporary file beside OUT and renamed on success.`

// progressAt is the input size from which a progress bar is drawn.
const progressAt = 4 << 20

func convertMain(args []string, stderr io.Writer) int {
	fs := newFlags("convert", "[-integrity] [-align N] [-q] [-progress] IN [OUT]", convertDescription)
	fs.SetOutput(stderr)
	integrity := fs.Bool("integrity", false, "write XXH3-64 integrity footers (Tenso output)")
	align := fs.Int("align", 64, "body alignment of written Tenso packets (a power of two)")
	quiet := fs.Bool("q", false, "no progress bar")
	force := fs.Bool("progress", false, "draw the progress bar even when stderr is not a terminal")
	pos, status, parsed := parseArgs(fs, args)
	if !parsed {
		return status
	}
	if len(pos) < 1 || len(pos) > 2 {
		return badUsage(fs, "")
	}
	in, out := pos[0], ""
	if len(pos) == 2 {
		out = pos[1]
	}
	inExt := strings.ToLower(filepath.Ext(in))
	if out == "" {
		if inExt == ".tenso" {
			fmt.Fprintln(stderr, "tenso: convert: name the output (.npy or .safetensors) for .tenso input")
			return 2
		}
		out = strings.TrimSuffix(in, filepath.Ext(in)) + ".tenso"
	}
	outExt := strings.ToLower(filepath.Ext(out))
	o := convert.Options{Alignment: *align, Integrity: *integrity}

	src, err := os.Open(in)
	if err != nil {
		return convFail(stderr, err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return convFail(stderr, err)
	}
	pr := &progressReader{f: src, size: st.Size(), name: filepath.Base(in), w: stderr}
	pr.on = !*quiet && st.Size() >= progressAt && (*force || isTerminal(stderr))

	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return convFail(stderr, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	var msg string
	switch {
	case inExt == ".npy" && outExt == ".tenso":
		err = convert.NpyToTenso(bw, pr, o)
	case inExt == ".safetensors" && outExt == ".tenso":
		var r convert.STResult
		r, err = convert.SafetensorsToTenso(bw, pr, st.Size(), o)
		msg = fmt.Sprintf("%d tensors", r.Tensors)
		if r.MetadataDropped > 0 {
			msg += fmt.Sprintf("; %d __metadata__ entries dropped (a Tenso bundle has no place for them)", r.MetadataDropped)
		}
	case inExt == ".tenso" && outExt == ".npy":
		err = convert.TensoToNpy(bw, pr)
	case inExt == ".tenso" && outExt == ".safetensors":
		var n int
		n, err = convert.TensoToSafetensors(bw, pr)
		msg = fmt.Sprintf("%d tensors", n)
	default:
		fmt.Fprintf(stderr, "tenso: convert: cannot convert %s to %s (supported: .npy/.safetensors <-> .tenso)\n", extOrNone(inExt), extOrNone(outExt))
		return 2
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Chmod(0o644) // CreateTemp makes 0600 files
	}
	if err == nil {
		err = tmp.Close()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	pr.done(err == nil)
	if err != nil {
		return convFail(stderr, fmt.Errorf("%s: %w", in, err))
	}
	ok = true
	if msg != "" {
		fmt.Fprintf(stderr, "tenso: wrote %s (%s)\n", out, msg)
	}
	return 0
}

func extOrNone(e string) string {
	if e == "" {
		return "a file without extension"
	}
	return e
}

func convFail(w io.Writer, err error) int {
	msg := err.Error()
	if !strings.HasPrefix(msg, "tenso:") {
		msg = "tenso: " + msg
	}
	fmt.Fprintln(w, msg)
	return 1
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressReader counts the input position (reads and seeks) and draws a
// bar on w at most every 100 ms.
type progressReader struct {
	f    *os.File
	size int64
	pos  int64
	name string
	w    io.Writer
	on   bool
	last time.Time
	max  int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.f.Read(b)
	p.pos += int64(n)
	p.tick()
	return n, err
}

func (p *progressReader) Seek(off int64, whence int) (int64, error) {
	n, err := p.f.Seek(off, whence)
	if err == nil {
		p.pos = n
	}
	return n, err
}

func (p *progressReader) tick() {
	if !p.on {
		return
	}
	if p.pos > p.max {
		p.max = p.pos
	}
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		p.draw(p.max)
	}
}

func (p *progressReader) draw(at int64) {
	frac := 0.0
	if p.size > 0 {
		frac = float64(at) / float64(p.size)
	}
	if frac > 1 {
		frac = 1
	}
	const width = 30
	fill := int(frac * width)
	fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%% %.1f/%.1f MiB", p.name,
		strings.Repeat("#", fill), strings.Repeat(".", width-fill), 100*frac,
		float64(at)/(1<<20), float64(p.size)/(1<<20))
}

func (p *progressReader) done(ok bool) {
	if !p.on {
		return
	}
	if ok {
		p.draw(p.size)
	}
	fmt.Fprintln(p.w)
}
