#include "ctl/import_command.h"

#include <filesystem>
#include <iostream>

#include "config/app_file.h"
#include "config/ecosystem_import.h"
#include "ctl/ecosystem_yaml.h"

namespace pmd {

int run_import(const std::string& file) {
    auto ext = std::filesystem::path(file).extension().string();
    // PM2 require()s .js files; node evaluates them the same way (config/ecosystem_js.cc).
    std::string json = ext == ".js" || ext == ".cjs" || ext == ".mjs" ? ecosystem_js_to_json(file)
                       : ext == ".yml" || ext == ".yaml"             ? ecosystem_yaml_to_json(read_text_file(file), file)
                                                                     : read_text_file(file);
    // Scripts are looked at where the converted file will be: beside the ecosystem file.
    auto base_dir = std::filesystem::absolute(file).parent_path();
    ImportResult result = import_ecosystem_json(json, import_context_for(base_dir));
    std::cout << result.toml;
    for (const auto& note : result.notes) std::cerr << "pmctl import: " << file << ": " << note << "\n";
    if (!result.notes.empty())
        std::cerr << "pmctl import: " << result.notes.size() << " note(s) above on what did not convert or converted "
                  << "differently; the output repeats them as comments: review it before using it\n";
    return 0;
}

}  // namespace pmd
