import type { Caller } from "../../gateway/src/access/caller.js";
import type { User } from "../../gateway/src/users/user.js";

/** A service's caller with the given role (and any other user fields), for service tests without HTTP. */
export const callerOf = (user: Partial<User> & Pick<User, "role">): Caller => ({
  user: {
    id: `usr_${user.role}`,
    username: user.role,
    displayName: user.role,
    schoolId: null,
    classroomIds: [],
    disabled: false,
    createdAt: "",
    updatedAt: "",
    ...user,
  },
  actor: { kind: "user", id: `usr_${user.role}`, name: user.role },
});
