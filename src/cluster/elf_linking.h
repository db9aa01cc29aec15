// How an executable is linked, as far as cluster mode cares: the preload library can only
// reach a program that loads libc dynamically. A static binary (Go's default, musl builds)
// has no PT_INTERP program header, so LD_PRELOAD never runs and its bind() is its own.
#pragma once

#include <string>

namespace pmd {

enum class ElfLinking { NotElf, Dynamic, Static };

// NotElf for scripts (their interpreter decides) and for files that cannot be read.
ElfLinking elf_linking(const std::string& path);

}  // namespace pmd
