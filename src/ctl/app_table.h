// The `pmctl ls` table: one row per instance, columns sized to their content, like
// `systemctl list-units`.
#pragma once

#include <string>
#include <vector>

#include "ctl/god_client.h"

namespace pmd {

std::string render_app_table(const std::vector<VariantDict>& apps);
// `pmctl describe`: "Key: value" lines, instances indented below.
std::string render_app_description(const VariantDict& properties);

}  // namespace pmd
