#include "satan/vfork_clone.h"

#include <sys/syscall.h>

#include <cerrno>
#include <cstdint>

namespace pmd {

long clone3_vfork(struct clone_args& args, char* stack, size_t stack_size, ChildEntry entry, void* arg) {
    args.flags |= CLONE_VM | CLONE_VFORK;
    args.stack = reinterpret_cast<uint64_t>(stack);
    args.stack_size = stack_size;
#if defined(__x86_64__)
    // The kernel starts the child with every register of the parent but rax = 0 and rsp = the
    // top of the new stack; entry and arg ride along in rdx and r8. The parent gets the pid in
    // rax and falls through. `syscall` clobbers rcx and r11.
    long ret;
    register void* arg_reg asm("r8") = arg;
    asm volatile(
        "syscall\n\t"
        "test %%rax, %%rax\n\t"
        "jnz 1f\n\t"
        // Child, on the new stack (16-byte aligned, so the call leaves entry ABI-aligned).
        "xor %%ebp, %%ebp\n\t"  // end of the frame chain for unwinders and debuggers
        "mov %%r8, %%rdi\n\t"
        "call *%%rdx\n\t"
        // entry does not return; should it, leave with 127 as a failed exec would.
        "mov $127, %%edi\n\t"
        "mov %[exit_nr], %%eax\n\t"
        "syscall\n\t"
        "hlt\n\t"
        "1:\n\t"
        : "=a"(ret)
        : "a"(static_cast<long>(SYS_clone3)), "D"(&args), "S"(sizeof args), "d"(entry), "r"(arg_reg),
          [exit_nr] "i"(SYS_exit_group)
        : "rcx", "r11", "cc", "memory");
    if (ret < 0) {
        errno = static_cast<int>(-ret);
        return -1;
    }
    return ret;
#else
    (void)stack;
    (void)stack_size;
    (void)entry;
    (void)arg;
    errno = ENOSYS;
    return -1;
#endif
}

}  // namespace pmd
