// clone3_vfork(): clone3 with CLONE_VM | CLONE_VFORK, the child running entry(arg) on a stack the
// caller provides, the way posix_spawn starts its children. Sharing the address space means the
// kernel copies no page tables and neither side takes copy-on-write faults: on a paravirtualized
// guest, where every page-table update is a hypercall, that was most of the cost of a spawn
// (docs/benchmarks.md). The parent is suspended until the child has exec'd or exited.
//
// The raw syscall returns twice on two stacks, so the child cannot come back into C++ code
// that was compiled for the parent's frame: a few instructions of assembly call entry on the
// new stack instead. entry must not return, and may only do what a vfork child may: async-
// signal-safe system calls, no allocation, no locks, writes only to memory the parent expects
// (it shares all of it, including errno).
#pragma once

#include <linux/sched.h>

#include <cstddef>

namespace pmd {

// Where clone3_vfork is implemented; elsewhere spawn() uses a copying clone3.
#if defined(__x86_64__)
inline constexpr bool kHaveVforkClone = true;
#else
inline constexpr bool kHaveVforkClone = false;
#endif

using ChildEntry = void (*)(void*);

// args.flags gets CLONE_VM | CLONE_VFORK added; args.stack and stack_size are set from stack
// (size a multiple of 16, start 16-aligned). Returns the child's pid, or -1 with errno set
// (ENOSYS where kHaveVforkClone is false).
long clone3_vfork(struct clone_args& args, char* stack, size_t stack_size, ChildEntry entry, void* arg);

}  // namespace pmd
