/* SPDX-License-Identifier: BSD-2-Clause */
/* The program each layer check links (src/layers.am): all of one layer's
 * library and only the layers below it, so a call upwards fails the link. */
int main(void)
{
	return 0;
}
