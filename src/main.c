/* hivesnap - offline snapshots of a microservice platform's state. */
#include "cli.h"

int main(int argc, char **argv)
{
	return hs_cli_main(argc, argv);
}
