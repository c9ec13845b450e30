// Command tenso inspects, verifies and converts Tenso packets, serves the
// web demo and a test inference endpoint, runs an embedded NATS server and
// keeps packets in a JetStream store.
//
// Every verb behaves the same way: -h or --help prints its usage and exits
// 0, an unknown flag prints the error and the usage and exits 2, flags may
// come before, between or after the operands (up to a "--"), and every
// error is one "tenso: …" line on stderr with exit status 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// command is one verb of the CLI. Each verb lives in its own file and
// registers itself in init.
type command struct {
	summary string
	run     func(args []string) int // exit status
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string) int) {
	commands[name] = command{summary, run}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: tenso <command> [arguments]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	w := 0
	for _, n := range names {
		w = max(w, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-*s  %s\n", w, n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\n`tenso <command> -h` (or `tenso help <command>`) describes a command.")
}

func main() { os.Exit(run(os.Args[1:])) }

// run is the CLI on arguments without the program name; it returns the
// exit status.
func run(args []string) int {
	if len(args) == 0 {
		usage()
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" {
			if c, ok := commands[args[1]]; ok {
				return c.run([]string{"-h"})
			}
			fmt.Fprintf(os.Stderr, "tenso: unknown command %q\n", args[1])
			usage()
			return 2
		}
		usage()
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "tenso: unknown command %q\n", args[0])
		usage()
		return 2
	}
	return c.run(args[1:])
}

// newFlags returns the flag set of a verb with the one usage layout every
// verb shares: "usage: tenso NAME SYNOPSIS", the description, the flags.
func newFlags(name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: tenso %s %s\n", name, synopsis)
		if description != "" {
			fmt.Fprintf(w, "\n%s\n", strings.TrimRight(description, "\n"))
		}
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseArgs parses the flags of a verb wherever they are among the
// operands (flag stops at the first operand; parseArgs resumes after it,
// up to a "--"). It returns the operands, or ok false and the exit status:
// 0 for -h/--help, 2 for a bad flag (flag has printed the error and the
// usage).
func parseArgs(fs *flag.FlagSet, args []string) (operands []string, status int, ok bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0, false
			}
			return nil, 2, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return operands, 0, true
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(operands, rest...), 0, true
		}
		operands = append(operands, rest[0])
		args = rest[1:]
	}
}

// badUsage prints the verb's usage after msg and returns exit status 2.
func badUsage(fs *flag.FlagSet, msg string) int {
	if msg != "" {
		fmt.Fprintln(fs.Output(), "tenso:", msg)
	}
	fs.Usage()
	return 2
}

// libPrefix matches the package prefixes of the errors the CLI wraps
// ("tenso: ", "tensohttp: ", "tensogrpc: ", "tensonats: ", "tenso/store: ",
// "tenso/embedded: "), at the start of the message or after a wrapping "…: ".
var libPrefix = regexp.MustCompile(`(^|: )(?:tenso|tensohttp|tensogrpc|tensonats|tenso/store|tenso/embedded): `)

// errorLine renders err as one line with exactly one "tenso: " prefix: the
// prefixes of wrapped library errors are dropped (one place for every
// verb), so "FILE: tenso: bad magic" prints as "tenso: FILE: bad magic".
func errorLine(err error) string {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	for {
		m := libPrefix.ReplaceAllString(msg, "$1")
		if m == msg {
			break
		}
		msg = m
	}
	return "tenso: " + msg
}

// fail prints err as one "tenso: …" line on stderr and returns exit
// status 1.
func fail(err error) int {
	fmt.Fprintln(os.Stderr, errorLine(err))
	return 1
}

// failFile is fail for an error about the file name.
func failFile(name string, err error) int { return fail(fileError(name, err)) }

// fileError puts the file name first in err ("FILE: no such file or
// directory" rather than "open FILE: …").
func fileError(name string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Path == name {
		err = pe.Err
	}
	return fmt.Errorf("%s: %w", name, err)
}

// count renders "1 element", "2 elements".
func count(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	switch {
	case strings.HasSuffix(noun, "y"):
		noun = strings.TrimSuffix(noun, "y") + "ies"
	case strings.HasSuffix(noun, "s"):
		noun += "es"
	default:
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}
