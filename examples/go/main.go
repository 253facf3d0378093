// SPDX-License-Identifier: LGPL-2.1-or-later

// embed: run a container from a bundle with libctr through cgo, print its
// output and exit code.  Builds against the installed library:
//
//	go build            (cgo runs pkg-config --cflags --libs ctr)
//	./embed /path/to/bundle [STATE_ROOT] [ARG...]    (as root)
//
// Without ARGs it runs `sh -c 'echo hello from go; exit 4'`.
package main

/*
#cgo pkg-config: ctr
#include <stdlib.h>
#include <ctr/ctr.h>
*/
import "C"

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"
)

// Error is a libctr error: its stable code, errno and message.
type Error struct {
	Code     int
	CodeName string
	Errno    syscall.Errno
	Message  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (%s, errno %d)", e.Message, e.CodeName, int(e.Errno))
}

// check turns a failed call (r < 0) and its ctr_error into an *Error, freeing it.
func check(r C.int, err *C.ctr_error) error {
	if r >= 0 {
		return nil
	}
	defer C.ctr_error_free(err)
	code := C.ctr_error_code_of(err)
	return &Error{
		Code:     int(code),
		CodeName: C.GoString(C.ctr_error_code_name(code)),
		Errno:    syscall.Errno(-r),
		Message:  C.GoString(C.ctr_error_message(err)),
	}
}

// cStrings is a NULL-terminated char ** in C memory; free it with freeCStrings.
func cStrings(s []string) **C.char {
	arr := (**C.char)(C.calloc(C.size_t(len(s)+1), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	v := unsafe.Slice(arr, len(s)+1)
	for i, x := range s {
		v[i] = C.CString(x)
	}
	return arr
}

func freeCStrings(arr **C.char) {
	for _, p := range unsafe.Slice(arr, 1<<20) {
		if p == nil {
			break
		}
		C.free(unsafe.Pointer(p))
	}
	C.free(unsafe.Pointer(arr))
}

// run creates, starts, waits for and deletes a container; its output and exit status.
func run(bundle, stateRoot string, args []string) (string, int, error) {
	var ctx *C.ctr_context
	var err *C.ctr_error
	var copts C.ctr_context_options
	C.ctr_context_options_init(&copts) // inline: passes this program's sizeof
	if stateRoot != "" {
		root := C.CString(stateRoot)
		defer C.free(unsafe.Pointer(root))
		copts.state_root = root
	}
	if e := check(C.ctr_context_new(&ctx, &copts, &err), err); e != nil {
		return "", -1, e
	}
	defer C.ctr_context_free(ctx)

	var spec *C.ctr_spec
	config := C.CString(filepath.Join(bundle, "config.json"))
	defer C.free(unsafe.Pointer(config))
	if e := check(C.ctr_spec_load_file(&spec, config, &err), err); e != nil {
		return "", -1, e
	}
	defer C.ctr_spec_free(spec)
	argv := cStrings(args)
	defer freeCStrings(argv)
	if e := check(C.ctr_spec_set_args(spec, argv, &err), err); e != nil {
		return "", -1, e
	}

	r, w, e := os.Pipe()
	if e != nil {
		return "", -1, e
	}
	defer r.Close()
	var opts C.ctr_create_options
	C.ctr_create_options_init(&opts)
	abs, _ := filepath.Abs(bundle)
	cbundle := C.CString(abs)
	defer C.free(unsafe.Pointer(cbundle))
	opts.bundle = cbundle
	opts.stdio_fds[1] = C.int(w.Fd())
	opts.stdio_fds[2] = C.int(w.Fd())

	var c *C.ctr_container
	id := C.CString(fmt.Sprintf("go-example-%d", os.Getpid()))
	defer C.free(unsafe.Pointer(id))
	e = check(C.ctr_container_create(ctx, &c, id, spec, &opts, &err), err)
	w.Close()
	if e != nil {
		return "", -1, e
	}
	defer C.ctr_container_free(c)
	if e := check(C.ctr_container_start(c, &err), err); e != nil {
		C.ctr_container_delete(c, C.CTR_DELETE_FORCE, nil)
		return "", -1, e
	}
	out, _ := io.ReadAll(r) // EOF once the container's processes are gone
	var status C.int
	if e := check(C.ctr_container_wait(c, &status, -1, &err), err); e != nil {
		C.ctr_container_delete(c, C.CTR_DELETE_FORCE, nil)
		return string(out), -1, e
	}
	if e := check(C.ctr_container_delete(c, 0, &err), err); e != nil {
		return string(out), int(status), e
	}
	return string(out), int(status), nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: embed BUNDLE [STATE_ROOT] [ARG...]")
		os.Exit(2)
	}
	stateRoot := ""
	if len(os.Args) > 2 {
		stateRoot = os.Args[2]
	}
	args := []string{"sh", "-c", "echo hello from go; exit 4"}
	if len(os.Args) > 3 {
		args = os.Args[3:]
	}
	fmt.Printf("libctr %s (headers %d.%d)\n", C.GoString(C.ctr_version()), C.CTR_VERSION_MAJOR, C.CTR_VERSION_MINOR)
	out, status, err := run(os.Args[1], stateRoot, args)
	if err != nil {
		if ce, ok := err.(*Error); ok {
			fmt.Fprintf(os.Stderr, "error (%s, errno %d): %s\n", ce.CodeName, int(ce.Errno), ce.Message)
		} else {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
		}
		os.Exit(1)
	}
	fmt.Printf("output: %s", out)
	fmt.Printf("exit code: %d\n", status)
}
