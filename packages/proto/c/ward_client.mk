# ward_client.mk: how every native part (nss/, pam/) builds and links the shared socket client.
# Include it from a Makefile after setting BUILD (the output root, e.g. $(ROOT)/build):
#
#   include ../packages/proto/c/ward_client.mk
#   libfoo.so: foo.o $(WARD_CLIENT_OBJS)
#
# Each part compiles its own copy of the client objects (position-independent, so they fit a
# shared module and a PIE alike) and hides them behind its version script; two modules loaded
# into one process (NSS and PAM inside sshd) therefore never share client code or state.

WARD_CLIENT_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
WARD_CLIENT_SRCS := $(addprefix $(WARD_CLIENT_DIR)/,ward_client.c ward_wire.c ward_name.c)
WARD_CLIENT_HDRS := $(addprefix $(WARD_CLIENT_DIR)/,ward_client.h ward_proto.h)

# The flags every native part uses (issue 3: -Wall -Wextra -Werror, hardened).
WARD_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -O2 -fPIC \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -D_GNU_SOURCE \
	-I$(WARD_CLIENT_DIR)
WARD_LDFLAGS := -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack -Wl,--as-needed
