#include "config/pm2_launch.h"

#include <unistd.h>

#include <fstream>
#include <map>

namespace pmd {
namespace {

// PM2's lib/API/interpreter.json, except that Debian has python3 and no `python`, which
// PM2 itself then falls back to.
const std::map<std::string, std::string> kByExtension = {
    {".sh", "bash"}, {".py", "python3"}, {".rb", "ruby"},     {".php", "php"}, {".pl", "perl"},
    {".js", "node"}, {".coffee", "coffee"}, {".ls", "lsc"}, {".ts", "bun"},   {".tsx", "bun"}};

std::string extension_of(const std::string& script) {
    return std::filesystem::path(script).extension().string();
}

bool is_file(const std::filesystem::path& p) {
    std::error_code ec;
    return std::filesystem::is_regular_file(p, ec);
}

// PM2's which(): the first PATH entry holding an executable file of that name.
std::optional<std::filesystem::path> on_path(const std::string& name, const std::string& path_env) {
    size_t start = 0;
    while (!path_env.empty() && start <= path_env.size()) {
        size_t end = path_env.find(':', start);
        if (end == std::string::npos) end = path_env.size();
        std::filesystem::path candidate = std::filesystem::path(path_env.substr(start, end - start)) / name;
        if (candidate.is_absolute() && is_file(candidate) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return std::nullopt;
}

bool starts_with_shebang(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    char head[2] = {};
    return in.read(head, 2) && head[0] == '#' && head[1] == '!';
}

}  // namespace

bool looks_binary(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    unsigned char bytes[512];
    in.read(reinterpret_cast<char*>(bytes), sizeof bytes);
    size_t size = static_cast<size_t>(in.gcount());
    if (size == 0) return false;
    if (size >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) return false;
    size_t suspicious = 0;
    for (size_t i = 0; i < size; ++i) {
        unsigned char b = bytes[i];
        if (b == 0) return true;
        if ((b < 7 || b > 14) && (b < 32 || b > 127)) {
            // A well-formed UTF-8 sequence is text.
            if (b > 193 && b < 224 && i + 1 < size && bytes[i + 1] > 127 && bytes[i + 1] < 192) {
                ++i;
                continue;
            }
            if (b > 223 && b < 240 && i + 2 < size && bytes[i + 1] > 127 && bytes[i + 1] < 192 &&
                bytes[i + 2] > 127 && bytes[i + 2] < 192) {
                i += 2;
                continue;
            }
            ++suspicious;
            if (i > 32 && suspicious * 100 / size > 10) return true;
        }
    }
    return suspicious * 100 / size > 10;
}

Pm2Launch pm2_launch(const Pm2LaunchInput& in) {
    Pm2Launch out;
    if (in.script.find(' ') != std::string::npos) {
        out.kind = Pm2Launch::Kind::Shell;
        out.shell_command = {"bash", "-c", in.script};
        out.why = "PM2 runs a script with spaces through bash -c";
        return out;
    }
    bool bare = in.script.find('/') == std::string::npos;
    std::filesystem::path local = std::filesystem::path(in.script).is_absolute() || in.cwd.empty()
                                      ? std::filesystem::path(in.script)
                                      : in.cwd / in.script;
    bool exists = (std::filesystem::path(in.script).is_absolute() || !in.cwd.empty()) && is_file(local);
    std::optional<std::filesystem::path> found;
    if (!exists && bare) found = on_path(in.script, in.path_env);
    // pmd looks bare names up on PATH only, so a file of the app's own directory needs "./".
    out.script = exists && bare ? "./" + in.script : in.script;

    std::string interpreter = in.interpreter.value_or("");
    if (interpreter == "none") {
        out.kind = Pm2Launch::Kind::Direct;
        return out;
    }
    if (!interpreter.empty()) {
        out.kind = Pm2Launch::Kind::Interpreted;
        out.interpreter = interpreter;
        if (interpreter == "python" && !in.path_env.empty() && !on_path("python", in.path_env) &&
            on_path("python3", in.path_env)) {
            // PM2 would refuse an interpreter it cannot find; the Python there is python3.
            out.interpreter = "python3";
            out.why = "there is no `python` on PATH, only python3";
        }
        if (found) {
            // PM2 hands the interpreter the file it found on PATH.
            out.script = found->string();
            out.why = "found on PATH at import time, as PM2 resolves it";
        }
        return out;
    }
    std::string extension = extension_of(found ? found->string() : in.script);
    if (auto it = kByExtension.find(extension); it != kByExtension.end()) {
        out.kind = Pm2Launch::Kind::Interpreted;
        out.interpreter = it->second;
        if (found) out.script = found->string();
        out.why = "PM2 picked it from the extension";
        return out;
    }
    if (found) {
        if (looks_binary(*found) || starts_with_shebang(*found)) {
            // PM2 would run a text command with node (`node /usr/bin/npm`); its #! line says
            // the same for npm and yarn, and is right where PM2 would be wrong.
            out.kind = Pm2Launch::Kind::Direct;
            out.why = looks_binary(*found) ? "" : "a command on PATH, run by its #! line";
            return out;
        }
        out.kind = Pm2Launch::Kind::Interpreted;
        out.interpreter = "node";
        out.script = found->string();
        out.why = "PM2 runs a text file without a known extension with node";
        return out;
    }
    if (exists && looks_binary(local)) {
        out.kind = Pm2Launch::Kind::Direct;
        return out;
    }
    if (!exists && bare) {
        // Neither a file nor on PATH here: most likely a command of the target machine.
        out.kind = Pm2Launch::Kind::Direct;
        out.why = "not found at import time; PM2 would refuse it there too";
        return out;
    }
    out.kind = Pm2Launch::Kind::Interpreted;
    out.interpreter = "node";
    out.why = "PM2's default interpreter for a script without a known extension";
    return out;
}

}  // namespace pmd
