#include "cluster/elf_linking.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "base/unique_fd.h"

namespace pmd {
namespace {

bool read_at(int fd, void* buf, size_t size, off_t offset) {
    return pread(fd, buf, size, offset) == static_cast<ssize_t>(size);
}

template <typename Ehdr, typename Phdr>
ElfLinking program_headers(int fd) {
    Ehdr eh;
    if (!read_at(fd, &eh, sizeof eh, 0) || eh.e_phentsize != sizeof(Phdr)) return ElfLinking::NotElf;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Phdr ph;
        if (!read_at(fd, &ph, sizeof ph, static_cast<off_t>(eh.e_phoff + i * sizeof(Phdr)))) return ElfLinking::NotElf;
        if (ph.p_type == PT_INTERP) return ElfLinking::Dynamic;
    }
    return ElfLinking::Static;
}

}  // namespace

ElfLinking elf_linking(const std::string& path) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return ElfLinking::NotElf;
    unsigned char ident[EI_NIDENT];
    if (!read_at(fd.get(), ident, sizeof ident, 0) || std::memcmp(ident, ELFMAG, SELFMAG) != 0) return ElfLinking::NotElf;
    // The host's byte order only: an executable of another one would not run here anyway.
    if (ident[EI_CLASS] == ELFCLASS64) return program_headers<Elf64_Ehdr, Elf64_Phdr>(fd.get());
    if (ident[EI_CLASS] == ELFCLASS32) return program_headers<Elf32_Ehdr, Elf32_Phdr>(fd.get());
    return ElfLinking::NotElf;
}

}  // namespace pmd
