// Asks polkitd (org.freedesktop.PolicyKit1.Authority.CheckAuthorization on the system bus)
// whether a caller may perform org.pmd.God1.manage. No polkitd, no system bus, or any error
// means "polkit does not allow it": the rule is skipped, never a reason to let someone in.
#pragma once

#include "bus/caller.h"

namespace pmd {

inline constexpr const char* kManageAction = "org.pmd.God1.manage";

// Synchronous, without user interaction, and bounded by a short timeout so a stuck polkitd
// cannot hold pmd's loop for long.
bool polkit_allows_manage(const Caller& caller);

}  // namespace pmd
